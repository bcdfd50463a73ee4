package dev.offheap.allocator.facade;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.UseAfterFreeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * What {@code OffHeap.builder().checked(true)} covers (issue 10, case 9): the slab range only. A
 * slab block's segment kept after free throws; a free-list or large block's does not (documented in
 * docs/how-it-works.md), while the handle checks stay on for every range.
 */
@Timeout(60)
class OffHeapCheckedRangesTest {

    @Test
    void checkedModeGivesSlabBlocksAScopeEachAndLeavesOtherRangesToTheirHandleChecks() {
        try (OffHeap memory = OffHeap.builder().name("checked-ranges").reserve(1L << 30).checked(true).build()) {
            long slab = memory.allocate(64);
            MemorySegment slabKept = memory.segment(slab);
            memory.free(slab);
            assertThrows(IllegalStateException.class, () -> slabKept.get(ValueLayout.JAVA_BYTE, 0),
                    "positive control: a checked slab block's segment dies at free");
            for (long size : new long[] {100 << 10, 3L << 20}) { // free list, large
                long h = memory.allocate(size);
                MemorySegment kept = memory.segment(h);
                memory.free(h);
                assertThrows(DoubleFreeException.class, () -> memory.free(h), "size=" + size);
                assertThrows(UseAfterFreeException.class, () -> memory.segment(h), "size=" + size);
                if (size == 100 << 10) { // the free list keeps its span: the kept segment is not invalidated
                    assertDoesNotThrow(() -> kept.get(ValueLayout.JAVA_BYTE, 0), "size=" + size);
                }
            }
        }
    }
}
