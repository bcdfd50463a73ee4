package dev.offheap.allocator.facade;

import dev.offheap.allocator.freelist.TlsfAllocator;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.slab.SlabAllocator;
import dev.offheap.allocator.testing.ResidentMemory;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Free space inside spans that still hold a live block stops costing resident memory once purged:
 * measured from the process ({@code /proc/self/smaps}) over the region's range.
 */
class PurgeAfterChurnTest {
    private static final long MiB = 1L << 20;

    private static long resident(Region region) {
        return ResidentMemory.ofRange(region.baseAddress(), region.reservedBytes());
    }

    @Test
    void afterAChurnThatFreesMostBlocksTrimBringsResidentMemoryCloseToTheLiveBytes() {
        try (OffHeap memory = OffHeap.builder().name("purge").reserve(1L << 30).decay(Duration.ofHours(1))
                .zeroing(false).build()) {
            SplittableRandom random = new SplittableRandom(42);
            List<Long> handles = new ArrayList<>();
            List<Long> sizes = new ArrayList<>();
            long live = 0;
            while (live < 32 * MiB) {
                long size = 16 + random.nextLong(64 * 1024 - 16);
                long h = memory.allocate(size);
                memory.segment(h).fill((byte) 1); // touch every byte, as a user would
                handles.add(h);
                sizes.add(size);
                live += size;
            }
            long kept = 0;
            long pinned = 0;
            List<Long> survivors = new ArrayList<>();
            for (int i = 0; i < handles.size(); i++) {
                if (i % 10 == 0) {
                    survivors.add(handles.get(i));
                    kept += sizes.get(i);
                    // What a survivor may keep resident: a slab block its whole page (at most 4
                    // units of 64 KiB: the slab purges only pages with no live block), a free-list
                    // block its own bytes plus the partial OS page at either end.
                    pinned += sizes.get(i) <= 32 * 1024 ? 256 * 1024 : sizes.get(i) + 8 * 1024;
                } else {
                    memory.free(handles.get(i));
                }
            }
            long before = resident(memory.region());
            assertTrue(before > 4 * kept, "the churn left free space resident: before=" + before + ", live=" + kept);
            memory.trim();
            long after = resident(memory.region());
            assertTrue(after <= pinned, "resident after trim=" + after + ", live=" + kept + ", bound=" + pinned);
            assertTrue(after < before / 2, "before=" + before + ", after=" + after);
            for (long h : survivors) {
                MemorySegment s = memory.segment(h);
                assertEquals(1, s.get(ValueLayout.JAVA_BYTE, 0), "live blocks keep their bytes");
                assertEquals(1, s.get(ValueLayout.JAVA_BYTE, s.byteSize() - 1));
            }
            assertTrue(memory.region().purgedBytesTotal() > 0);
        }
    }

    @Test
    void withoutTrimTheDecayDaemonPurgesFreeSpaceAfterTheDecayDelay() throws InterruptedException {
        try (OffHeap memory = OffHeap.builder().name("purge-decay").reserve(1L << 30)
                .decay(Duration.ofMillis(200)).zeroing(false).build()) {
            SplittableRandom random = new SplittableRandom(7);
            List<Long> handles = new ArrayList<>();
            for (long live = 0; live < 16 * MiB; ) {
                long size = 16 + random.nextLong(64 * 1024 - 16);
                long h = memory.allocate(size);
                memory.segment(h).fill((byte) 1);
                handles.add(h);
                live += size;
            }
            for (int i = 0; i < handles.size(); i++) {
                if (i % 10 != 0) {
                    memory.free(handles.get(i));
                }
            }
            long purgedBefore = memory.region().purgedBytesTotal();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (memory.region().purgedBytesTotal() == purgedBefore && System.nanoTime() < deadline) {
                Thread.sleep(20); // the daemon purges one decay delay after the first empty page
            }
            assertTrue(memory.region().purgedBytesTotal() > purgedBefore, "no purge pass ran without trim");
            assertEquals(1, memory.segment(handles.get(0)).get(ValueLayout.JAVA_BYTE, 0), "live bytes kept");
        }
    }

    @Test
    void theSlabPurgesEmptyPagesOfASegmentStillInUseAndCarvesThemAgainAsZero() {
        try (Region region = Region.builder().reserve(256 * MiB).decay(Duration.ofHours(1)).build();
             SlabAllocator slab = SlabAllocator.builder().region(region).zeroing(false).build()) {
            List<Long> handles = new ArrayList<>();
            for (int i = 0; i < 1024; i++) {
                long h = slab.allocate(1024); // 1 MiB of 1 KiB blocks: 16 units of one segment
                slab.segment(h).fill((byte) 0x5A);
                handles.add(h);
            }
            for (int i = 1; i < handles.size(); i++) {
                slab.free(handles.get(i)); // the first block keeps its page and its segment
            }
            long before = resident(region);
            long purged = slab.purgeEmptyPages();
            assertTrue(purged >= MiB, "purged=" + purged);
            long after = resident(region);
            assertTrue(after <= before - MiB, "before=" + before + ", after=" + after);
            assertTrue(after <= 128 * 1024, "only the live page's unit (and a current page) stay: " + after);
            assertEquals(0, slab.purgeEmptyPages(), "nothing new to purge");
            MemorySegment first = slab.segment(handles.get(0));
            assertEquals(0x5A, first.get(ValueLayout.JAVA_BYTE, 1023));
            // Zeroing is off: a block of a purged page reads zero; one of a page kept (the live
            // block's, the thread's current one) still holds the old 0x5A.
            int zero = 0;
            for (int i = 0; i < 1023; i++) {
                MemorySegment block = slab.segment(slab.allocate(1024));
                if (block.mismatch(MemorySegment.ofArray(new byte[1024])) == -1) {
                    zero++;
                } else {
                    assertEquals(-1, block.mismatch(MemorySegment.ofArray(new byte[1024]).fill((byte) 0x5A)));
                }
            }
            assertTrue(zero >= 14 * 64, "blocks from purged pages=" + zero);
        }
    }

    @Test
    void theFreeListPurgesWholePagesInsideFreeBlocksOfASpanStillInUse() {
        try (Region region = Region.builder().reserve(256 * MiB).decay(Duration.ofHours(1)).build();
             TlsfAllocator tlsf = TlsfAllocator.builder().region(region).zeroing(false).build()) {
            List<Long> handles = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                long h = tlsf.allocate(30 * 1024);
                tlsf.segment(h).fill((byte) 3);
                handles.add(h);
            }
            long before = resident(region);
            for (int i = 0; i < handles.size(); i++) {
                if (i != 30) {
                    tlsf.free(handles.get(i));
                }
            }
            long purged = tlsf.purgeFreeBlocks();
            long after = resident(region);
            assertTrue(purged >= MiB, "purged=" + purged);
            assertTrue(after <= 40 * 1024, "only the live block's pages stay: after=" + after + ", before=" + before);
            MemorySegment live = tlsf.segment(handles.get(30));
            assertEquals(-1, live.mismatch(MemorySegment.ofArray(new byte[30 * 1024]).fill((byte) 3)), "live bytes kept");
            long again = tlsf.allocate(30 * 1024);
            tlsf.segment(again).fill((byte) 4); // a purged page is mapped and writable
            assertEquals(4, tlsf.segment(again).get(ValueLayout.JAVA_BYTE, 0));
        }
    }
}
