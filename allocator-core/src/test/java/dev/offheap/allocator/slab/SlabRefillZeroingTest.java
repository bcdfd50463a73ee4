package dev.offheap.allocator.slab;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Blocks are zeroed by the refill that links them ({@code Page.refill}), a run of neighbouring
 * slots per call, not one by one as they are handed out. Whatever order blocks are freed in (runs
 * ascending, descending, shuffled, with gaps), however many are freed (more than one refill takes),
 * and whatever a page's memory held before its carve, every block handed out reads zero; each case
 * runs with zeroing off too, where some block must keep old bytes (so the case reached reused
 * memory, and the zero check could fail).
 */
@Timeout(60)
class SlabRefillZeroingTest {
    private static final byte DIRT = 0x5A;

    @ParameterizedTest(name = "{0} B, freed {1}")
    @CsvSource({
            "16, ascending", "16, descending", "16, shuffled", "16, everyOther",
            "64, ascending", "64, descending", "64, shuffled", "64, everyOther",
            "1000, descending", "1000, shuffled", "8192, shuffled", "65536, ascending"})
    void everyBlockHandedOutAfterFreesInAnyOrderReadsZero(int size, String order) {
        assertEquals(0, dirtyBlocksAfterReuse(true, size, order), "blocks with old bytes, zeroing on");
        assertTrue(dirtyBlocksAfterReuse(false, size, order) > 0,
                "control: with zeroing off some reused block keeps its old bytes");
    }

    /**
     * Allocates enough blocks for several refills, writes every byte, frees them in {@code order},
     * allocates as many again and counts blocks with a non-zero byte.
     */
    private static int dirtyBlocksAfterReuse(boolean zeroing, int size, String order) {
        try (SlabAllocator slab = SlabAllocator.builder().reserve(1L << 30).zeroing(zeroing).build()) {
            int blockBytes = SizeClasses.blockBytes(SizeClasses.classOf(size));
            int perRefill = Math.max(Page.MIN_EXTEND_SLOTS, Math.min(Page.MAX_EXTEND_SLOTS, Page.EXTEND_BYTES / blockBytes));
            int blocks = Math.max(256, 4 * perRefill); // several refills, each bounded
            List<Long> handles = new ArrayList<>();
            for (int i = 0; i < blocks; i++) {
                long h = slab.allocate(size);
                slab.segment(h).fill(DIRT);
                handles.add(h);
            }
            for (long h : ordered(handles, order)) {
                slab.free(h);
            }
            int dirty = 0;
            List<Long> again = new ArrayList<>();
            for (int i = 0; i < blocks; i++) {
                long h = slab.allocate(size);
                again.add(h);
                if (hasNonZero(slab.segment(h))) {
                    dirty++;
                }
            }
            again.forEach(slab::free);
            return dirty;
        }
    }

    private static List<Long> ordered(List<Long> handles, String order) {
        List<Long> out = new ArrayList<>(handles);
        switch (order) {
            case "ascending" -> { }
            case "descending" -> Collections.reverse(out);
            case "shuffled" -> Collections.shuffle(out, new Random(42));
            case "everyOther" -> { // the even ones, then the odd ones: runs of one, then gaps filled
                out.clear();
                for (int i = 0; i < handles.size(); i += 2) {
                    out.add(handles.get(i));
                }
                for (int i = 1; i < handles.size(); i += 2) {
                    out.add(handles.get(i));
                }
            }
            default -> throw new IllegalArgumentException(order);
        }
        return out;
    }

    private static boolean hasNonZero(MemorySegment s) {
        for (long i = 0; i < s.byteSize(); i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * A page carved over units another class used and freed (their memory not given back) holds
     * that class's bytes: its first refills zero what they link.
     */
    @Test
    void aPageCarvedOverDirtyUnitsHandsOutZeroedBlocks() {
        assertEquals(0, dirtyAfterRecarve(true), "blocks with old bytes, zeroing on");
        assertTrue(dirtyAfterRecarve(false) > 0, "control: with zeroing off the re-carved page keeps old bytes");
    }

    private static int dirtyAfterRecarve(boolean zeroing) {
        try (SlabAllocator slab = SlabAllocator.builder().reserve(1L << 30).zeroing(zeroing).build()) {
            List<Long> first = new ArrayList<>();
            for (int i = 0; i < 4096; i++) { // 4 MiB of 1 KiB blocks: pages of whole segments
                long h = slab.allocate(1024);
                slab.segment(h).fill(DIRT);
                first.add(h);
            }
            first.forEach(slab::free); // the pages empty and retire; their units stay committed
            int dirty = 0;
            List<Long> second = new ArrayList<>();
            for (int i = 0; i < 4 * 4096; i++) { // another class over the same units
                long h = slab.allocate(256);
                second.add(h);
                if (hasNonZero(slab.segment(h))) {
                    dirty++;
                }
            }
            second.forEach(slab::free);
            return dirty;
        }
    }

    /**
     * A refill that zeroes takes at most {@code Page.MAX_ZERO_BYTES} of blocks off the owner-free
     * list (two 32 KiB blocks), so batching adds no longer stall than one 64 KiB allocate had;
     * without zeroing it takes the whole list (the control: all four).
     */
    @Test
    void aZeroingRefillTakesAtMostSixtyFourKibibytesOfBlocks() {
        assertEquals(Page.MAX_ZERO_BYTES / 32768, linkedAfterReuse(true), "slots a zeroing refill linked");
        assertEquals(4, linkedAfterReuse(false), "control: slots a refill without zeroing linked");
    }

    /** Four 32 KiB blocks of one page allocated and freed, one allocated again: slots the refill linked. */
    private static int linkedAfterReuse(boolean zeroing) {
        try (SlabAllocator slab = SlabAllocator.builder().reserve(1L << 30).zeroing(zeroing).build()) {
            long[] blocks = new long[4];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = slab.allocate(32768);
            }
            Page page = slab.pageForTest(blocks[0]);
            for (long h : blocks) {
                assertEquals(page, slab.pageForTest(h), "the four blocks share a page");
            }
            for (long h : blocks) {
                slab.free(h);
            }
            long again = slab.allocate(32768);
            assertEquals(page, slab.pageForTest(again));
            int linked = 1; // the one handed out
            for (int slot = page.freeHead; slot != Page.END; slot = page.lpLink(slot)) {
                linked++;
            }
            slab.free(again);
            return linked;
        }
    }
}
