package dev.offheap.allocator.slab;

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
