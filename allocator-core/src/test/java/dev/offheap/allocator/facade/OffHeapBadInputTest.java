package dev.offheap.allocator.facade;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.ownership.MemoryBlock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bad-input table of docs/how-it-works.md ("Errors and misuse"), row by row, on the façade a
 * user builds first: each bad call throws the exception the table names, and the allocator works
 * and counts exactly afterwards.
 */
@Timeout(60)
class OffHeapBadInputTest {
    private static final long RESERVE = 1L << 30;

    private static OffHeap newOffHeap(String name) {
        return OffHeap.builder().name(name).reserve(RESERVE).limit(64L << 20).build();
    }

    /** A block still works, and the counts show only the good calls. */
    private static void stillWorks(OffHeap memory, long allocationsBefore) {
        long h = memory.allocate(64);
        memory.putLong(h, 0, 7L);
        assertEquals(7L, memory.getLong(h, 0));
        memory.free(h);
        assertEquals(allocationsBefore + 1, memory.snapshot().allocations(), memory.snapshot().toString());
    }

    @Test
    void badSizesAreIllegalArgumentsAboveTheReservationIncluded() {
        try (OffHeap memory = newOffHeap("bad-sizes")) {
            for (long bad : new long[] {-1, 0, Long.MIN_VALUE}) {
                var e = assertThrows(IllegalArgumentException.class, () -> memory.allocate(bad));
                assertTrue(e.getMessage().contains("byteSize must be positive"), e.getMessage());
            }
            for (long bad : new long[] {RESERVE + 1, 2 * RESERVE, Long.MAX_VALUE}) {
                var e = assertThrows(IllegalArgumentException.class, () -> memory.allocate(bad), "byteSize=" + bad);
                assertTrue(e.getMessage().contains("must not exceed the reservation " + RESERVE), e.getMessage());
            }
            assertEquals(0, memory.snapshot().failedAllocations(), "refused before any range tried");
            stillWorks(memory, 0);
        }
    }

    @Test
    void aRequestUnderTheReservationButOverTheLimitIsOutOfMemory() {
        try (OffHeap memory = newOffHeap("over-limit")) {
            var e = assertThrows(OutOfOffHeapMemoryException.class, () -> memory.allocate(128L << 20));
            assertTrue(e.getMessage().contains("limit"), e.getMessage());
            long fits = memory.allocate(32L << 20); // positive control: under the limit it is served
            memory.free(fits);
            stillWorks(memory, 1);
        }
    }

    @Test
    void freedStaleAndForeignHandlesAreTheirOwnExceptions() {
        try (OffHeap memory = newOffHeap("misuse"); OffHeap other = newOffHeap("other")) {
            for (long size : new long[] {64, 100 << 10, 3L << 20}) {
                long h = memory.allocate(size);
                memory.free(h);
                assertThrows(DoubleFreeException.class, () -> memory.free(h), "size=" + size);
                assertThrows(UseAfterFreeException.class, () -> memory.segment(h), "size=" + size);
                assertThrows(UseAfterFreeException.class, () -> memory.byteSize(h), "size=" + size);
                long again = memory.allocate(size);
                assertThrows(DoubleFreeException.class, () -> memory.free(h), "stale, size=" + size);
                assertTrue(memory.isLive(again), "a stale free never frees the new block: size=" + size);
                memory.free(again);
                long theirs = other.allocate(size);
                assertThrows(ForeignPointerException.class, () -> memory.free(theirs), "another allocator's, size=" + size);
                assertTrue(other.isLive(theirs));
                other.free(theirs);
            }
            long interior = memory.allocate(4096);
            long inside = Handles.pack(Handles.kind(interior), Handles.tag(interior), Handles.generation(interior),
                    Handles.location(interior) + 1);
            assertThrows(ForeignPointerException.class, () -> memory.free(inside), "an interior handle");
            for (long forged : new long[] {Handles.NULL, -1L, Long.MAX_VALUE}) {
                assertThrows(ForeignPointerException.class, () -> memory.free(forged), Handles.toString(forged));
            }
            assertTrue(memory.isLive(interior));
            memory.free(interior);
            assertEquals(6, memory.snapshot().doubleFrees(), "two per size: " + memory.snapshot());
            assertEquals(6, memory.snapshot().useAfterFrees(), "two per size: " + memory.snapshot());
            stillWorks(memory, memory.snapshot().allocations());
        }
    }

    @Test
    void callsAndSegmentsAfterCloseAreIllegalState() {
        OffHeap memory = newOffHeap("closed");
        long h = memory.allocate(64);
        MemorySegment kept = memory.segment(h);
        MemoryBlock block = memory.allocateBlock(64);
        MemorySegment blockKept = block.segment();
        memory.close();
        assertThrows(IllegalStateException.class, () -> memory.allocate(64));
        assertThrows(IllegalStateException.class, () -> memory.free(h));
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> blockKept.get(ValueLayout.JAVA_BYTE, 0));
        memory.close(); // idempotent
    }

    @Test
    void aMemoryBlockAfterCloseOrMoveRefusesItsOldName() {
        try (OffHeap memory = newOffHeap("blocks")) {
            MemoryBlock closed = memory.allocateBlock(64);
            closed.close();
            assertThrows(UseAfterFreeException.class, closed::segment);
            MemoryBlock moved = memory.allocateBlock(64);
            MemoryBlock owner = moved.move();
            assertThrows(IllegalStateException.class, moved::segment);
            owner.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 1); // positive control: the new owner works
            owner.close();
            stillWorks(memory, 2);
        }
    }
}
