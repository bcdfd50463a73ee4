package dev.offheap.allocator.facade;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.HeapCorruptionException;
import dev.offheap.allocator.UseAfterFreeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code OffHeap.builder().checked(true)} covers (issue 10, case 9): every range. A segment
 * kept after free throws for slab, free-list and large blocks alike, each is bounded to the bytes
 * asked for, and an overrun of the canary is caught on free; unchecked, the free-list's kept
 * segment still reads after free (the documented unchecked-mode case, the positive control).
 */
@Timeout(60)
class OffHeapCheckedRangesTest {
    /** One request per range: slab, free list, large; and a free-list request the canary pushes to large. */
    private static final long[] SIZES = {64, 100 << 10, 3L << 20, 1L << 20};

    @Test
    void checkedModeGivesEveryRangesBlocksASegmentThatDiesAtFree() {
        try (OffHeap memory = OffHeap.builder().name("checked-ranges").reserve(1L << 30).checked(true).build()) {
            for (long size : SIZES) {
                long h = memory.allocate(size);
                assertEquals(size, memory.byteSize(h), "bounded to the bytes asked for: size=" + size);
                MemorySegment kept = memory.segment(h);
                assertEquals(size, kept.byteSize());
                kept.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 1);
                memory.free(h);
                assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0), "size=" + size);
                assertThrows(DoubleFreeException.class, () -> memory.free(h), "size=" + size);
                assertThrows(UseAfterFreeException.class, () -> memory.segment(h), "size=" + size);
            }
            assertEquals(0, memory.snapshot().corruptions());
        }
    }

    @Test
    void anOverrunThroughARawAddressIsCaughtOnFreeInEveryRange() {
        try (OffHeap memory = OffHeap.builder().name("checked-overrun").reserve(1L << 30).checked(true).build()) {
            int caught = 0;
            for (long size : SIZES) {
                long h = memory.allocate(size);
                long address = memory.segment(h).address();
                // The escape hatch: a raw view one byte past the block, onto the canary.
                MemorySegment.ofAddress(address).reinterpret(size + 1).set(ValueLayout.JAVA_BYTE, size, (byte) 0);
                assertThrows(HeapCorruptionException.class, () -> memory.free(h), "size=" + size);
                caught++;
                assertFalse(memory.isLive(h), "the block is freed all the same: size=" + size);
            }
            assertEquals(caught, memory.snapshot().corruptions());
        }
    }

    @Test
    void uncheckedTheFreeListsKeptSegmentStillReadsAfterFree() {
        try (OffHeap memory = OffHeap.builder().name("unchecked-ranges").reserve(1L << 30).build()) {
            long h = memory.allocate(100 << 10);
            MemorySegment kept = memory.segment(h);
            memory.free(h);
            assertDoesNotThrow(() -> kept.get(ValueLayout.JAVA_BYTE, 0), "the unchecked-mode kept-segment case");
        }
    }

    @Test
    void checkedSlabBlocksLiveInTheFacadesRegionUnderItsLimit() {
        long limit = 16L << 20;
        try (OffHeap memory = OffHeap.builder().name("checked-limit").reserve(1L << 30).limit(limit).checked(true).build()) {
            long h = memory.allocate(64);
            long address = memory.segment(h).address();
            long base = memory.region().baseAddress();
            assertTrue(address >= base && address < base + memory.region().reservedBytes(),
                    "the checked slab's block is in the façade's region");
            long served = 0;
            try {
                while (true) {
                    memory.allocate(1024);
                    served += 1024;
                }
            } catch (dev.offheap.allocator.OutOfOffHeapMemoryException refused) {
                // the one limit, for every range
            }
            assertTrue(served > 0 && served <= limit, "served " + served + " B under a " + limit + " B limit");
            assertTrue(memory.region().committedBytes() <= limit, memory.snapshot().toString());
        }
    }
}
