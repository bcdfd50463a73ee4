package dev.offheap.allocator.facade;

import dev.offheap.allocator.metrics.AllocatorSnapshot;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The façade's snapshot reports what every range's metadata costs, on and off the Java heap. */
class OffHeapMetadataTest {
    private static final int SMALL_BLOCKS = 20_000;
    /** The slab's off-heap metadata per slot of a carved page: a state word and a free-list link. */
    private static final long SLAB_BYTES_PER_SLOT = 6;

    @Test
    void metadataGrowsWithTheBlocksAndStaysOffTheHeap() {
        try (OffHeap memory = OffHeap.builder().reserve(1L << 30).build()) {
            AllocatorSnapshot empty = memory.snapshot();
            List<Long> handles = new ArrayList<>();
            for (int i = 0; i < SMALL_BLOCKS; i++) {
                handles.add(memory.allocate(64));
            }
            for (int i = 0; i < 50; i++) {
                handles.add(memory.allocate(100 << 10));
            }
            handles.add(memory.allocate(3L << 20));
            AllocatorSnapshot full = memory.snapshot();
            String figures = "empty=" + empty + ", full=" + full;

            assertTrue(full.metadataOffHeapBytes() - empty.metadataOffHeapBytes() >= SLAB_BYTES_PER_SLOT * SMALL_BLOCKS,
                    "every small block's slot has its metadata off the heap: " + figures);
            assertTrue(full.metadataHeapBytes() > 0, figures);
            // Heap metadata is per page, span or chunk, not per block: a fraction of a percent.
            assertTrue(full.metadataHeapBytes() * 100 < full.committedBytes(), figures);
            handles.forEach(memory::free);
        }
    }
}
