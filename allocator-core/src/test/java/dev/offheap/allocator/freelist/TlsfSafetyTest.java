package dev.offheap.allocator.freelist;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.LeakReport;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.testing.ForkedJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The free list's part of "safe by construction": shrink never aliases, region close never crashes,
 * generations never wrap onto a live block, leaks reach the listener (checked mode: {@link TlsfCheckedModeTest}).
 */
@Timeout(120)
class TlsfSafetyTest {
    private static final long MiB = 1L << 20;

    private static Region newRegion() {
        return Region.builder().name("tlsf-safety").reserve(64 * MiB).build();
    }

    private static boolean overlaps(MemorySegment a, MemorySegment b) {
        return a.address() < b.address() + b.byteSize() && b.address() < a.address() + a.byteSize();
    }

    @Test
    void aSegmentTakenBeforeAShrinkNeverReachesABlockAllocatedAfterIt() {
        try (Region region = newRegion(); TlsfAllocator tlsf = TlsfAllocator.builder().region(region).build()) {
            long a = tlsf.allocate(4096);
            long fence = tlsf.allocate(16); // a's right neighbour stays live: the cut tail has nowhere to merge
            MemorySegment before = tlsf.segment(a);
            assertEquals(a, tlsf.resize(a, 16), "shrinks in place");
            assertEquals(16, tlsf.byteSize(a));
            assertEquals(16, tlsf.segment(a).byteSize());
            List<Long> others = new ArrayList<>();
            for (long size = 16; size <= 4080; size += 16) {
                long h = tlsf.allocate(size);
                others.add(h);
                assertFalse(overlaps(before, tlsf.segment(h)), "a block allocated after the shrink lies in the "
                        + "old segment: size=" + size + ", handle=" + Handles.toString(h));
            }
            for (long h : others) {
                tlsf.segment(h).fill((byte) 0x5A);
            }
            before.fill((byte) 1); // writes through the old segment reach a's own kept granules only
            for (long h : others) {
                assertEquals(-1, tlsf.segment(h).mismatch(MemorySegment.ofArray(filled((int) tlsf.byteSize(h)))));
            }
            // Growing back within the kept granules stays in place and zeroes what it adds.
            assertEquals(a, tlsf.resize(a, 4096));
            assertEquals(1, tlsf.segment(a).get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(0, tlsf.segment(a).get(ValueLayout.JAVA_BYTE, 4095));
            tlsf.verifyInvariants();
            tlsf.free(fence);
        }
    }

    private static byte[] filled(int n) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) 0x5A);
        return b;
    }

    @Test
    void aCellPastTheLastGenerationIsRetiredAndItsStaleHandleNeverNamesALiveBlock() {
        try (Region region = newRegion(); TlsfAllocator tlsf = TlsfAllocator.builder().region(region).build()) {
            long keep = tlsf.allocate(8192); // keeps the span from going back to the region
            long a = tlsf.allocate(64);
            long cell = Handles.location(a);
            tlsf.free(a);
            long again = tlsf.allocate(64);
            assertEquals(cell, Handles.location(again), "positive control: a freed block's place is reused");
            assertTrue(Handles.generation(again) > Handles.generation(a));
            tlsf.free(again);

            tlsf.setCellGenerationForTest(cell, Handles.MAX_GENERATION - 1);
            long last = tlsf.allocate(64);
            assertEquals(cell, Handles.location(last));
            assertEquals(Handles.MAX_GENERATION, Handles.generation(last), "the last generation is handed out");
            tlsf.free(last);
            long next = tlsf.allocate(64);
            long cellStart = cell & -256L;
            assertTrue(Handles.location(next) >= cellStart + 256 || Handles.location(next) < cellStart,
                    "no block starts in a retired cell: next=" + Handles.toString(next));
            assertEquals(256 - (cell - cellStart), tlsf.retiredGranules(), "the cell's free part is cut out");
            assertThrows(DoubleFreeException.class, () -> tlsf.free(last));
            assertThrows(UseAfterFreeException.class, () -> tlsf.segment(last));
            assertFalse(tlsf.isLive(last));
            tlsf.verifyInvariants();
            tlsf.free(next);
            tlsf.free(keep);
            tlsf.verifyInvariants();
        }
    }

    @Test
    void blocksLiveAtCloseReachTheLeakListenerOnce() {
        List<LeakReport> reports = new CopyOnWriteArrayList<>();
        TlsfAllocator clean = TlsfAllocator.builder().name("clean").reserve(16 * MiB).leakListener(reports::add).build();
        clean.free(clean.allocate(100));
        clean.close();
        assertTrue(reports.isEmpty(), "no report without a leak: " + reports);

        TlsfAllocator leaky = TlsfAllocator.builder().name("leaky").reserve(16 * MiB).leakListener(reports::add).build();
        leaky.allocate(100);
        leaky.allocate(1000);
        leaky.close();
        leaky.close(); // idempotent: no second report
        assertEquals(1, reports.size(), reports::toString);
        LeakReport r = reports.getFirst();
        assertEquals("leaky", r.allocator());
        assertEquals(LeakReport.Cause.OUTSTANDING_AT_CLOSE, r.cause());
        assertEquals(2, r.blocks());
        assertEquals(112 + 1008, r.bytes());
        assertEquals(2, leaky.snapshot().leaks());
        assertEquals(0, leaky.snapshot().liveBlocks(), "the snapshot after close shows no live block");
    }

    @Test
    void lockFreeReadsOfLiveBlocksStayRightWhileOtherBlocksChurn() throws Exception {
        try (Region region = Region.builder().reserve(256 * MiB).build();
             TlsfAllocator tlsf = TlsfAllocator.builder().region(region).zeroing(false).build()) {
            long[] kept = new long[64];
            for (int i = 0; i < kept.length; i++) {
                kept[i] = tlsf.allocate(16L * (i + 1));
            }
            AtomicReference<Throwable> failure = new AtomicReference<>();
            java.util.concurrent.atomic.AtomicLong lastFreed = new java.util.concurrent.atomic.AtomicLong();
            Thread churn = new Thread(() -> {
                java.util.SplittableRandom random = new java.util.SplittableRandom(3);
                long[] window = new long[512];
                try {
                    for (int round = 0; round < 40_000; round++) {
                        int i = random.nextInt(window.length);
                        if (window[i] != 0) {
                            tlsf.free(window[i]);
                            lastFreed.set(window[i]); // published after the free returned
                        }
                        window[i] = tlsf.allocate(random.nextLong(16, 64 * 1024));
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
            churn.start();
            long reads = 0;
            long deadChecks = 0;
            while (churn.isAlive()) {
                for (int i = 0; i < kept.length; i++) {
                    assertEquals(16L * (i + 1), tlsf.segment(kept[i]).byteSize());
                    assertEquals(16L * (i + 1), tlsf.byteSize(kept[i]));
                    assertTrue(tlsf.isLive(kept[i]));
                    reads++;
                }
                long dead = lastFreed.get(); // freed before we read it: never live again, whatever reuses its place
                if (dead != 0) {
                    assertFalse(tlsf.isLive(dead), () -> "a freed handle read as live: " + Handles.toString(dead));
                    // Refused: as a use after free, or, when a block started in another cell now covers
                    // its place, as an interior handle (documented in TlsfAllocator#rejected).
                    RuntimeException e = assertThrows(RuntimeException.class, () -> tlsf.segment(dead));
                    assertTrue(e instanceof UseAfterFreeException || e instanceof ForeignPointerException, e::toString);
                    deadChecks++;
                }
            }
            churn.join();
            assertNull(failure.get());
            assertTrue(reads > 0 && deadChecks > 0, "reads=" + reads + ", deadChecks=" + deadChecks);
            tlsf.verifyInvariants();
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {16 * 1024, 256 * 1024})
    void metadataOffTheHeapIsAFractionOfAPercentOfLiveBytes(long blockBytes) {
        try (Region region = Region.builder().reserve(1L << 30).build();
             TlsfAllocator tlsf = TlsfAllocator.builder().region(region).zeroing(false).build()) {
            long live = 0;
            List<Long> blocks = new ArrayList<>();
            while (live < 256 * MiB) {
                blocks.add(tlsf.allocate(blockBytes));
                live += blockBytes;
            }
            for (int i = 0; i < blocks.size(); i += 3) { // fragment: a third freed, not coalescable
                tlsf.free(blocks.get(i));
                live -= blockBytes;
            }
            double offHeap = (double) tlsf.metadataOffHeapBytes() / live;
            double heap = (double) tlsf.metadataHeapBytes() / live;
            assertTrue(offHeap <= 0.02, "off-heap metadata / live = " + offHeap);
            assertTrue(heap <= 0.01, "heap metadata / live = " + heap);
            assertTrue(tlsf.metadataOffHeapBytes() > 0);
        }
    }

    /** Body for the child JVM: closes the region under a TLSF, then calls everything. */
    public static final class RegionClosedBody {
        public static void main(String[] args) {
            boolean zeroing = Boolean.parseBoolean(args[0]);
            boolean checked = Boolean.parseBoolean(args[1]);
            Region region = Region.builder().name("closed-under-tlsf").reserve(64 * MiB).build();
            TlsfAllocator tlsf = TlsfAllocator.builder().region(region).zeroing(zeroing).checked(checked).build();
            long a = tlsf.allocate(64);
            long b = tlsf.allocate(64);
            tlsf.free(b);
            MemorySegment kept = tlsf.segment(a);
            region.close();
            expectRegionNamed(() -> tlsf.allocate(64));
            expectRegionNamed(() -> tlsf.free(a));
            expectRegionNamed(() -> tlsf.segment(a));
            expectRegionNamed(() -> tlsf.byteSize(a));
            expectRegionNamed(() -> tlsf.resize(a, 4096));
            expectRegionNamed(tlsf::trim);
            expectRegionNamed(tlsf::purgeFreeBlocks);
            if (tlsf.isLive(a)) {
                throw new AssertionError("isLive after region close");
            }
            try {
                kept.set(ValueLayout.JAVA_LONG, 0, 1L);
                throw new AssertionError("a kept segment wrote to an unmapped region");
            } catch (IllegalStateException expected) {
                // the span's scope (checked: the block's own) closed with the region, before its unmap
            }
            tlsf.close(); // fine after the region went
            System.out.println("all calls threw");
        }

        private static void expectRegionNamed(Runnable call) {
            try {
                call.run();
            } catch (IllegalStateException e) {
                if (!e.getMessage().contains("region=closed-under-tlsf")) {
                    throw new AssertionError("message does not name the region: " + e.getMessage(), e);
                }
                return;
            }
            throw new AssertionError("no IllegalStateException after region close");
        }
    }

    @ParameterizedTest
    @CsvSource({"true, false", "false, false", "true, true"})
    void aRegionClosedUnderTheAllocatorMakesEveryCallThrowNamingIt(String zeroing, String checked) {
        ForkedJvm.Result r = ForkedJvm.run(RegionClosedBody.class, zeroing, checked);
        assertFalse(r.crashed(), r::describe);
        assertEquals(0, r.exitCode(), r::describe);
        assertTrue(r.output().contains("all calls threw"), r::describe);
    }

    @Test
    void interiorAndStaleHandlesInsideABlockCarvedOverThemAreRefused() {
        try (Region region = newRegion(); TlsfAllocator tlsf = TlsfAllocator.builder().region(region).build()) {
            long fence = tlsf.allocate(16);
            long small = tlsf.allocate(64);
            long fence2 = tlsf.allocate(16);
            tlsf.free(small);
            tlsf.free(fence);
            long big = tlsf.allocate(80); // fills [fence, small) exactly: covers small's old start
            assertEquals(Handles.location(fence), Handles.location(big));
            assertTrue(tlsf.segment(big).address() < tlsf.segment(fence2).address());
            assertThrows(DoubleFreeException.class, () -> tlsf.free(small), "stale, not interior: a lower generation");
            long interior = Handles.pack(Handles.KIND_FREE_LIST, Handles.tag(big), Handles.generation(big),
                    Handles.location(big) + 1);
            assertThrows(ForeignPointerException.class, () -> tlsf.free(interior));
            assertTrue(tlsf.isLive(big));
            tlsf.free(big);
            tlsf.free(fence2);
            tlsf.verifyInvariants();
        }
    }

    @Test
    void theTablesGrowWithTheSpansUsedWhileLockFreeReadersKeepSeeingTheirBlock() throws Exception {
        try (Region region = Region.builder().name("tlsf-growth").reserve(64L << 30).build();
             TlsfAllocator tlsf = TlsfAllocator.builder().region(region).zeroing(false).build()) {
            long fresh = tlsf.metadataHeapBytes();
            assertTrue(fresh < 8 * 1024, "a 64 GiB reservation costs nothing on the heap until used: " + fresh);
            long watched = tlsf.allocate(4096);
            tlsf.putLong(watched, 0, 42L);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            long[] reads = new long[1];
            Thread reader = Thread.ofPlatform().start(() -> {
                try {
                    while (!done.get()) {
                        if (tlsf.getLong(watched, 0) != 42L || tlsf.segment(watched).get(ValueLayout.JAVA_LONG, 0) != 42L) {
                            throw new AssertionError("the watched block changed");
                        }
                        reads[0]++;
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            List<Long> big = new ArrayList<>();
            for (int i = 0; i < 200; i++) { // one span each: the slot and chunk tables double several times
                big.add(tlsf.allocate(tlsf.maxBlockBytes()));
                big.add(tlsf.allocate(tlsf.maxBlockBytes()));
            }
            for (long h : big) {
                tlsf.free(h);
            }
            done.set(true);
            reader.join();
            assertNull(failure.get(), () -> "reader: " + failure.get());
            assertTrue(reads[0] > 0, "the reader ran");
            assertTrue(tlsf.metadataHeapBytes() > fresh, "grown: " + tlsf.metadataHeapBytes());
            assertEquals(42L, tlsf.getLong(watched, 0));
            tlsf.verifyInvariants();
            tlsf.free(watched);
        }
    }
}
