package dev.offheap.allocator.slab;

import dev.offheap.allocator.testing.Reuse;
import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.HeapCorruptionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SlabCheckedModeTest {
    private final SlabAllocator slab = SlabAllocator.builder().name("checked").reserve(1L << 30).checked(true)
            .leakListener(r -> { }).build();

    @AfterEach
    void tearDown() {
        slab.close();
    }

    @Test
    void theSegmentIsExactlyTheRequestAndZeroed() {
        long h = slab.allocate(100);
        MemorySegment s = slab.segment(h);
        assertEquals(100, s.byteSize());
        assertEquals(100, slab.byteSize(h));
        for (int i = 0; i < 100; i++) {
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i));
        }
        slab.free(h);
    }

    @Test
    void aWriteAfterFreeIsCaughtWhenTheBlockIsHandedOutAgain() {
        long h = slab.allocate(64);
        long address = slab.segment(h).address();
        slab.free(h);
        // A raw pointer kept past free (the segment itself would throw): write through it.
        MemorySegment.ofAddress(address).reinterpret(64).set(ValueLayout.JAVA_INT, 20, 0x1234);
        var e = assertThrows(HeapCorruptionException.class, () -> Reuse.reuseOf(slab, 64, h));
        assertTrue(e.getMessage().startsWith("write after free: freed block changed at byte 20"), e.getMessage());
        assertTrue(e.getMessage().contains("address=0x" + Long.toHexString(address)), e.getMessage());
        assertNotNull(e.getCause(), "allocation site attached");
        assertEquals(1, slab.snapshot().corruptions());
        long again = Reuse.reuseOf(slab, 64, h); // the slot was re-poisoned: usable again
        assertEquals(address, slab.segment(again).address());
        slab.free(again);
    }

    @Test
    void anOverrunIntoTheCanaryIsCaughtOnFreeAndTheBlockIsStillFreed() {
        long h = slab.allocate(100); // 112-byte class: canary at [100, 112)
        long address = slab.segment(h).address();
        MemorySegment.ofAddress(address).reinterpret(112).set(ValueLayout.JAVA_BYTE, 104, (byte) 1);
        var e = assertThrows(HeapCorruptionException.class, () -> slab.free(h));
        assertTrue(e.getMessage().startsWith("buffer overrun: canary after the block overwritten at byte 104"), e.getMessage());
        assertTrue(e.getCause().getStackTrace()[0].getMethodName().contains("anOverrunIntoTheCanary"));
        assertFalse(slab.isLive(h));
        assertThrows(DoubleFreeException.class, () -> slab.free(h));
        assertEquals(1, slab.snapshot().corruptions());
    }

    @Test
    void aSegmentKeptAfterFreeThrowsFromTheJvm() {
        long h = slab.allocate(256);
        MemorySegment kept = slab.segment(h);
        kept.set(ValueLayout.JAVA_LONG, 0, 1L);
        slab.free(h);
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_LONG, 0));
        assertThrows(IllegalStateException.class, () -> kept.set(ValueLayout.JAVA_LONG, 0, 2L));
        assertFalse(kept.scope().isAlive());
    }

    @Test
    void theLargestCheckedRequestLeavesRoomForTheCanary() {
        long h = slab.allocate(SlabAllocator.MAX_CHECKED_REQUEST);
        assertEquals(SlabAllocator.MAX_CHECKED_REQUEST, slab.byteSize(h));
        slab.free(h);
        var e = assertThrows(IllegalArgumentException.class, () -> slab.allocate(SlabAllocator.MAX_CHECKED_REQUEST + 1));
        assertEquals("slab block size must be in [1, 65528]: byteSize=65529, allocator=checked", e.getMessage());
    }
}
