package dev.offheap.allocator.slab;

import dev.offheap.allocator.Handles;
import dev.offheap.allocator.testing.Reuse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Free slots inside pages still in use give their OS pages back at purge; live blocks keep their bytes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlabPurgeFreeSlotsTest {
    private static final int BLOCK = 8192;
    private static final int BLOCKS = 64;

    @Test
    void freeSlotsOfAPageInUseArePurgedAndLiveOnesKeepTheirBytes() {
        try (SlabAllocator slab = SlabAllocator.builder().name("purge-slots").reserve(1L << 30).zeroing(false).build()) {
            List<Long> freed = fillAndFreeEveryOther(slab);
            List<Long> live = liveOnes;
            long purged = slab.purgeEmptyPages();
            assertTrue(purged >= (long) freed.size() * BLOCK, "every freed 8 KiB block is two whole pages: purged=" + purged);
            for (long h : live) {
                assertEquals((byte) 0x5A, slab.segment(h).get(ValueLayout.JAVA_BYTE, BLOCK - 1), "a live block is intact");
            }
            long again = Reuse.reuseOf(slab, BLOCK, freed.getFirst());
            assertEquals(0, slab.segment(again).get(ValueLayout.JAVA_BYTE, 0), "the purged slot reads zero though zeroing is off");
        }
    }

    @Test
    void withoutThePurgeAFreedSlotKeepsItsBytesWhenZeroingIsOff() { // the positive control
        try (SlabAllocator slab = SlabAllocator.builder().name("no-purge").reserve(1L << 30).zeroing(false).build()) {
            List<Long> freed = fillAndFreeEveryOther(slab);
            long again = Reuse.reuseOf(slab, BLOCK, freed.getFirst());
            assertEquals((byte) 0x5A, slab.segment(again).get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    /**
     * 1152 B blocks: 56 in a 64 KiB page, ending 1 KiB short of it, so the page's last OS page
     * holds the last three and a half slots and the tail. With only the first slot live, the run
     * of free slots reaches the end of the page: its last OS page goes back too (it kept 4 KiB of
     * every such page resident, 19 MiB of 114 after the RSS harness's churn).
     */
    @Test
    void aFreeRunThatEndsThePageTakesTheTailsOsPage() {
        try (SlabAllocator slab = SlabAllocator.builder().name("purge-tail").reserve(1L << 30).zeroing(false).build()) {
            long last = fillOnePageKeepingTheFirst(slab);
            slab.purgeEmptyPages();
            long again = Reuse.reuseOf(slab, TAIL_BLOCK, last);
            assertEquals(0, slab.segment(again).get(ValueLayout.JAVA_BYTE, TAIL_BLOCK - 1),
                    "the last slot, in the OS page it shares with the tail, was purged");
        }
    }

    @Test
    void withoutThePurgeTheLastSlotKeepsItsBytes() { // the positive control of the test above
        try (SlabAllocator slab = SlabAllocator.builder().name("purge-tail-control").reserve(1L << 30).zeroing(false).build()) {
            long last = fillOnePageKeepingTheFirst(slab);
            long again = Reuse.reuseOf(slab, TAIL_BLOCK, last);
            assertEquals((byte) 0x5A, slab.segment(again).get(ValueLayout.JAVA_BYTE, TAIL_BLOCK - 1));
        }
    }

    private static final int TAIL_BLOCK = 1152;

    /** Fills one page of 1152 B blocks with 0x5A, frees all but the first, returns the last (freed) handle. */
    private static long fillOnePageKeepingTheFirst(SlabAllocator slab) {
        int sizeClass = SizeClasses.classOf(TAIL_BLOCK);
        assertEquals(TAIL_BLOCK, SizeClasses.blockBytes(sizeClass));
        int capacity = SegmentDescriptor.unitsPerPage(sizeClass) * SegmentDescriptor.UNIT_BYTES / TAIL_BLOCK;
        assertTrue((long) capacity * TAIL_BLOCK % 4096 != 0, "the page has a tail past its last slot");
        List<Long> handles = new ArrayList<>();
        for (int i = 0; i < capacity; i++) {
            long h = slab.allocate(TAIL_BLOCK);
            slab.segment(h).fill((byte) 0x5A);
            handles.add(h);
        }
        long first = handles.getFirst();
        long lastPage = SegmentDescriptor.pageId(Handles.location(first));
        for (long h : handles) {
            assertEquals(lastPage, SegmentDescriptor.pageId(Handles.location(h)), "one page holds them all");
        }
        long last = handles.getLast();
        assertEquals(capacity - 1, SegmentDescriptor.slot(Handles.location(last)));
        handles.subList(1, capacity).forEach(slab::free);
        return last;
    }

    private final List<Long> liveOnes = new ArrayList<>();

    private List<Long> fillAndFreeEveryOther(SlabAllocator slab) {
        List<Long> freed = new ArrayList<>();
        for (int i = 0; i < BLOCKS; i++) {
            long h = slab.allocate(BLOCK);
            slab.segment(h).fill((byte) 0x5A);
            if (i % 2 == 0) {
                freed.add(h);
            } else {
                liveOnes.add(h);
            }
        }
        freed.forEach(slab::free);
        return freed;
    }
}
