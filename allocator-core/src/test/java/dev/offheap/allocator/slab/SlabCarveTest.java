package dev.offheap.allocator.slab;

import dev.offheap.allocator.region.Region;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Carving: a page's slots are linked a run at a time ({@code Page.extend}), yet every slot of it is
 * handed out, once; a segment with free units is found again after its pages retire, however many
 * segments are held.
 */
@Timeout(120)
class SlabCarveTest {

    @Test
    void everySlotOfAPageIsHandedOutOnceThoughItsLinksAreWrittenARunAtATime() {
        try (SlabAllocator slab = SlabAllocator.builder().name("carve").reserve(1L << 30).build()) {
            Set<Long> addresses = new HashSet<>();
            List<Long> handles = new ArrayList<>();
            int n = 3 * 4096 + 17; // three 64 KiB pages of 16 B blocks and a bit: many runs of 256
            for (int i = 0; i < n; i++) {
                long h = slab.allocate(16);
                handles.add(h);
                assertTrue(addresses.add(slab.segment(h).address()), "a slot handed out twice: " + i);
                slab.putInt(h, 0, i);
            }
            for (int i = 0; i < n; i++) {
                assertEquals(i, slab.getInt(handles.get(i), 0), "block " + i + " kept its bytes");
            }
            long capacity = slab.snapshot().sizeClasses().get(0).capacityBlocks();
            assertEquals(4 * 4096, capacity, "four pages carved for the 16 B class");
            for (int i = 0; i < n; i += 2) {
                slab.free(handles.get(i));
            }
            Set<Long> reused = new HashSet<>();
            for (int i = 0; i < n / 2; i++) {
                long h = slab.allocate(16);
                assertTrue(reused.add(slab.segment(h).address()), "a freed slot handed out twice");
            }
            assertEquals(capacity, slab.snapshot().sizeClasses().get(0).capacityBlocks(),
                    "the freed slots and the rest of the last page served them: no new page");
        }
    }

    @Test
    void aSegmentWithFreeUnitsIsUsedAgainBeforeANewOneIsTaken() {
        try (Region region = Region.builder().name("carve-segments").reserve(1L << 30).build();
             SlabAllocator slab = SlabAllocator.builder().name("carve-segments").region(region).build()) {
            List<Long> blocks = new ArrayList<>();
            for (int i = 0; i < 40 * 64; i++) { // 40 segments' worth of 1 KiB pages: the segment table grows
                blocks.add(slab.allocate(1024));
            }
            long committed = slab.snapshot().committedBytes();
            // Free every block of the first 64 KiB pages of 1 KiB blocks: their units go free.
            for (int i = 0; i < 6 * 64; i++) {
                slab.free(blocks.get(i));
            }
            slab.trim(); // retires this thread's empty pages
            for (int i = 0; i < 6 * 64; i++) {
                long h = slab.allocate(1024);
                slab.segment(h).set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            }
            assertEquals(committed, slab.snapshot().committedBytes(), "the freed units were found again, no new segment");
        }
    }
}
