package dev.offheap.allocator.slab;

import dev.offheap.allocator.testing.Reuse;
import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.LeakReport;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.region.Region;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SlabAllocatorTest {
    private final List<LeakReport> reports = new CopyOnWriteArrayList<>();
    private final SlabAllocator slab = SlabAllocator.builder().name("test-slab").reserve(1L << 30)
            .leakListener(reports::add).build();

    @AfterEach
    void tearDown() {
        slab.close();
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 15, 16, 17, 64, 128, 129, 1000, 1024, 4097, 32767, 32768, 32769, 65535, 65536})
    void aBlockHoldsTheRequestIsAlignedAndZeroed(long size) {
        long h = slab.allocate(size);
        assertEquals(Handles.KIND_SLAB, Handles.kind(h));
        MemorySegment s = slab.segment(h);
        assertEquals(SizeClasses.blockBytes(SizeClasses.classOf(size)), s.byteSize());
        assertEquals(s.byteSize(), slab.byteSize(h));
        assertEquals(0, s.address() % 16);
        for (long i = 0; i < s.byteSize(); i++) {
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i));
        }
        s.fill((byte) 7);
        slab.free(h);
        long again = Reuse.reuseOf(slab, size, h); // same slot, next generation: zeroed again
        assertNotEquals(h, again);
        assertEquals(Handles.location(h), Handles.location(again));
        MemorySegment t = slab.segment(again);
        for (long i = 0; i < t.byteSize(); i++) {
            assertEquals(0, t.get(ValueLayout.JAVA_BYTE, i));
        }
        slab.free(again);
    }

    @Test
    void zeroingOffLeavesOldBytes() {
        try (SlabAllocator raw = SlabAllocator.builder().zeroing(false).reserve(1L << 30).build()) {
            long h = raw.allocate(64);
            raw.segment(h).fill((byte) 5);
            raw.free(h);
            long again = Reuse.reuseOf(raw, 64, h);
            assertEquals(5, raw.segment(again).get(ValueLayout.JAVA_BYTE, 0));
            raw.free(again);
        }
    }

    /**
     * A thread that frees what it allocates reuses the slots of one OS page's worth of blocks (at
     * least four), not the whole page: the owner-free list becomes the allocation list before more
     * slots are linked. With 256 slots linked at a time, a 1 KiB class cycled through all 64 slots
     * of its 64 KiB page and a 64 B class through 256: 16 KiB of cache lines per class.
     */
    @ParameterizedTest
    @ValueSource(longs = {16, 64, 1000, 8192, 65536})
    void allocateAndFreeInALoopCyclesThroughOnePageWorthOfSlots(long size) {
        java.util.Set<Integer> slots = new java.util.HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            long h = slab.allocate(size);
            slots.add(SegmentDescriptor.slot(Handles.location(h)));
            slab.free(h);
        }
        int blockBytes = SizeClasses.blockBytes(SizeClasses.classOf(size));
        int bound = Math.max(Page.MIN_EXTEND_SLOTS, Math.min(Page.MAX_EXTEND_SLOTS, Page.EXTEND_BYTES / blockBytes));
        assertEquals(bound, slots.size(), "distinct slots for " + blockBytes + " B blocks");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -5, 65537, 1L << 40})
    void aSizeOutsideTheBoundsIsRefused(long size) {
        var e = assertThrows(IllegalArgumentException.class, () -> slab.allocate(size));
        assertEquals("slab block size must be in [1, 65536]: byteSize=" + size + ", allocator=test-slab", e.getMessage());
        assertUsable();
    }

    @Test
    void aSecondFreeIsADoubleFree() {
        long h = slab.allocate(100);
        slab.free(h);
        var e = assertThrows(DoubleFreeException.class, () -> slab.free(h));
        assertTrue(e.getMessage().startsWith("double free: block already freed: handle=" + Handles.toString(h)), e.getMessage());
        assertEquals(1, slab.snapshot().doubleFrees());
        assertUsable();
    }

    @Test
    void freeingAStaleHandleAfterTheSlotWasReusedIsADoubleFreeAndLeavesTheNewBlockAlone() {
        long h = slab.allocate(64);
        slab.free(h);
        long reused = Reuse.reuseOf(slab, 64, h);
        assertEquals(Handles.location(h), Handles.location(reused));
        assertThrows(DoubleFreeException.class, () -> slab.free(h));
        assertTrue(slab.isLive(reused));
        slab.segment(reused).set(ValueLayout.JAVA_LONG, 0, 1L);
        slab.free(reused);
        assertUsable();
    }

    @Test
    void segmentOrByteSizeThroughAStaleHandleIsAUseAfterFree() {
        long h = slab.allocate(48);
        slab.free(h);
        var e = assertThrows(UseAfterFreeException.class, () -> slab.segment(h));
        assertTrue(e.getMessage().startsWith("use after free: block already freed: handle=" + Handles.toString(h)), e.getMessage());
        assertThrows(UseAfterFreeException.class, () -> slab.byteSize(h));
        assertFalse(slab.isLive(h));
        assertEquals(2, slab.snapshot().useAfterFrees());
        assertUsable();
    }

    @Test
    void handlesItNeverMadeAreForeign() {
        long live = slab.allocate(64);
        long otherKind = Handles.pack(Handles.KIND_FREE_LIST, Handles.tag(live), Handles.generation(live), Handles.location(live));
        assertForeign(otherKind, "not a handle of this slab allocator");
        assertForeign(Handles.NULL, "not a handle of this slab allocator");
        assertForeign(-1L, "not a handle of this slab allocator");
        long farPage = Handles.pack(Handles.KIND_SLAB, Handles.tag(live), 1, SegmentDescriptor.location((1 << 20) - 1, 0));
        assertForeign(farPage, "location outside this allocator's pages");
        long neverAllocated = Handles.pack(Handles.KIND_SLAB, Handles.tag(live), Handles.generation(live), Handles.location(live) + 5);
        assertForeign(neverAllocated, "not made by this allocator");
        long futureGeneration = Handles.pack(Handles.KIND_SLAB, Handles.tag(live), Handles.generation(live) + 1, Handles.location(live));
        assertForeign(futureGeneration, "not made by this allocator");
        long outsidePage = Handles.pack(Handles.KIND_SLAB, Handles.tag(live), 1, Handles.location(live) | SegmentDescriptor.SLOT_MASK);
        assertForeign(outsidePage, "slot outside its page");
        try (SlabAllocator other = SlabAllocator.builder().name("other").reserve(1L << 30)
                .leakListener(r -> { }).build()) {
            long theirs = other.allocate(64);
            other.free(theirs);
            long theirsAgain = other.allocate(64); // generation 2 at a location this slab never used with it
            assertThrows(ForeignPointerException.class, () -> slab.free(theirsAgain));
        }
        assertTrue(slab.isLive(live));
        slab.free(live);
        assertUsable();
    }

    private void assertForeign(long handle, String why) {
        var e = assertThrows(ForeignPointerException.class, () -> slab.free(handle));
        assertEquals("foreign handle: " + why + ": handle=" + Handles.toString(handle) + ", allocator=test-slab", e.getMessage());
        assertThrows(ForeignPointerException.class, () -> slab.segment(handle));
        assertThrows(ForeignPointerException.class, () -> slab.byteSize(handle));
        assertFalse(slab.isLive(handle));
    }

    @Test
    void aStaleHandleIntoAPageThatWasGivenBackIsStillCaughtAsStale() {
        long first = slab.allocate(1024);
        List<Long> all = new ArrayList<>();
        all.add(first);
        for (int i = 0; i < 200; i++) {
            all.add(slab.allocate(1024)); // fills the 64-slot page and two more
        }
        for (long h : all) {
            slab.free(h);
        }
        assertThrows(DoubleFreeException.class, () -> slab.free(first));
        assertThrows(UseAfterFreeException.class, () -> slab.segment(all.get(150)));
        long another = slab.allocate(16); // the given-back units may now hold a page of another class
        assertThrows(DoubleFreeException.class, () -> slab.free(all.get(199)));
        slab.free(another);
        assertUsable();
    }

    @Test
    void emptyPagesAndSegmentsGoBackToTheRegion() {
        Region region = Region.builder().reserve(1L << 30).build();
        try (SlabAllocator own = SlabAllocator.builder().region(region).build()) {
            List<Long> handles = new ArrayList<>();
            for (int i = 0; i < 3 * 1024; i++) {
                handles.add(own.allocate(1024)); // 3 MiB of 1 KiB blocks: two segments
            }
            assertEquals(2 * SegmentDescriptor.SEGMENT_BYTES, region.usedBytes());
            assertEquals(2L * SegmentDescriptor.SEGMENT_BYTES, own.snapshot().committedBytes());
            MemorySegment kept = own.segment(handles.get(0)); // first segment: all its pages empty
            for (int i = handles.size() - 1; i >= 0; i--) {
                own.free(handles.get(i));
            }
            // Only the page that is still this thread's current page of the class stays.
            assertEquals(SegmentDescriptor.SEGMENT_BYTES, region.usedBytes());
            // Released to the region but still committed (idle): the stale segment reads, and
            // throws once the region decommits the memory.
            kept.get(ValueLayout.JAVA_BYTE, 0);
            assertEquals(SegmentDescriptor.SEGMENT_BYTES, region.trim());
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
            AllocatorSnapshot snap = own.snapshot();
            assertEquals(0, snap.liveBlocks());
            assertEquals(0, snap.usedBytes());
        } finally {
            region.close();
        }
    }

    @Test
    void outstandingBlocksAreReportedAsLeaksAtCloseWithTheirSitesWhenTracked() {
        List<LeakReport> seen = new ArrayList<>();
        SlabAllocator tracked = SlabAllocator.builder().name("tracked").reserve(1L << 30)
                .trackAllocationSites(true).leakListener(seen::add).build();
        tracked.allocate(100); // 112-byte block
        tracked.allocate(5000); // 5120-byte block
        tracked.free(tracked.allocate(64));
        tracked.close();
        assertEquals(1, seen.size());
        LeakReport report = seen.get(0);
        assertEquals(LeakReport.Cause.OUTSTANDING_AT_CLOSE, report.cause());
        assertEquals("tracked", report.allocator());
        assertEquals(2, report.blocks());
        assertEquals(112 + 5120, report.bytes());
        assertEquals(2, report.allocationSites().size());
        assertTrue(report.allocationSites().get(0).getStackTrace()[0].getMethodName()
                .contains("outstandingBlocksAreReportedAsLeaksAtClose"));
        assertEquals(2, tracked.snapshot().leaks());
        tracked.close(); // idempotent: no second report
        assertEquals(1, seen.size());
        assertThrows(IllegalStateException.class, () -> tracked.allocate(16));
    }

    @Test
    void nothingLiveAtCloseReportsNothing() {
        slab.free(slab.allocate(10));
        slab.close();
        assertTrue(reports.isEmpty());
        var e = assertThrows(IllegalStateException.class, () -> slab.allocate(16));
        assertEquals("allocator is closed: allocator=test-slab", e.getMessage());
    }

    @Test
    void snapshotCountsPerClassAndRemoteFrees() throws Exception {
        long a = slab.allocate(64);
        long b = slab.allocate(64);
        long c = slab.allocate(1000);
        slab.free(a);
        Thread t = new Thread(() -> slab.free(b));
        t.start();
        t.join();
        AllocatorSnapshot s = slab.snapshot();
        assertEquals(3, s.allocations());
        assertEquals(2, s.frees());
        assertEquals(1, s.remoteFrees());
        assertEquals(1, s.liveBlocks());
        assertEquals(1024, s.usedBytes());
        assertEquals("slab", s.kind());
        AllocatorSnapshot.SizeClassSnapshot c64 = s.sizeClasses().get(SizeClasses.classOf(64));
        assertEquals(64, c64.blockBytes());
        assertEquals(2, c64.allocations());
        assertEquals(0, c64.liveBlocks());
        assertEquals(1024, c64.capacityBlocks());
        assertEquals(1, s.sizeClasses().get(SizeClasses.classOf(1000)).liveBlocks());
        slab.free(c);
    }

    @Test
    void blocksFreedByAnotherThreadAreReusedByTheOwner() throws Exception {
        List<Long> handles = new ArrayList<>();
        for (int i = 0; i < 1024; i++) {
            handles.add(slab.allocate(64)); // exactly one page
        }
        long committed = slab.snapshot().committedBytes();
        Thread t = new Thread(() -> handles.forEach(slab::free));
        t.start();
        t.join();
        for (int i = 0; i < 1024; i++) {
            handles.set(i, slab.allocate(64));
        }
        assertEquals(committed, slab.snapshot().committedBytes());
        assertEquals(1024, slab.snapshot().remoteFrees());
        handles.forEach(slab::free);
    }

    @Test
    void pagesEmptiedByRemoteFreesGoBackWhenTheLiveOwnerNextRefills() throws Exception {
        Region region = Region.builder().reserve(1L << 30).build();
        try (SlabAllocator own = SlabAllocator.builder().region(region).build()) {
            List<Long> handles = new ArrayList<>();
            for (int i = 0; i < 3 * 1024; i++) {
                handles.add(own.allocate(1024)); // two segments, this thread owns every page
            }
            assertEquals(2 * SegmentDescriptor.SEGMENT_BYTES, region.usedBytes());
            Thread t = new Thread(() -> handles.forEach(own::free));
            t.start();
            t.join();
            assertEquals(2 * SegmentDescriptor.SEGMENT_BYTES, region.usedBytes(), "nothing moves until the owner looks");
            own.free(own.allocate(16)); // a refill of another class drains the remote frees
            assertEquals(SegmentDescriptor.SEGMENT_BYTES, region.usedBytes());
            assertEquals(0, own.snapshot().liveBlocks());
            assertEquals(3 * 1024, own.snapshot().remoteFrees());
        } finally {
            region.close();
        }
    }

    @Test
    void theCacheOfADeadThreadIsAdoptedAndItsEmptyPagesGiveBack() throws Exception {
        Region region = Region.builder().reserve(1L << 30).build();
        try (SlabAllocator own = SlabAllocator.builder().region(region).build()) {
            List<Long> handles = new CopyOnWriteArrayList<>();
            Thread t = new Thread(() -> {
                for (int i = 0; i < 3 * 1024; i++) {
                    handles.add(own.allocate(1024));
                }
            });
            t.start();
            t.join();
            assertEquals(2 * SegmentDescriptor.SEGMENT_BYTES, region.usedBytes());
            handles.forEach(own::free); // remote frees to a dead owner
            own.free(own.allocate(32768)); // carving a page adopts the dead cache
            // The dead thread's pages are all empty now and given back; this thread's 32 KiB page stays.
            assertEquals(SegmentDescriptor.SEGMENT_BYTES, region.usedBytes());
            assertEquals(0, own.snapshot().liveBlocks());
            assertEquals(3 * 1024 + 1, own.snapshot().allocations());
        } finally {
            region.close();
        }
    }

    @Test
    void aDoubleFreeFromAnotherThreadIsCaughtThere() throws Exception {
        long h = slab.allocate(200);
        AtomicReference<Throwable> second = new AtomicReference<>();
        Thread t = new Thread(() -> {
            slab.free(h);
            try {
                slab.free(h);
            } catch (Throwable e) {
                second.set(e);
            }
        });
        t.start();
        t.join();
        assertTrue(second.get() instanceof DoubleFreeException, String.valueOf(second.get()));
        assertEquals(1, slab.snapshot().doubleFrees());
        assertUsable();
    }

    @Test
    void ofManyThreadsFreeingOneBlockAtOnceExactlyOneSucceeds() throws Exception {
        int threads = 4;
        for (int round = 0; round < 200; round++) {
            long h = slab.allocate(64);
            AtomicInteger freed = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            CyclicBarrier go = new CyclicBarrier(threads);
            List<Thread> all = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                        slab.free(h);
                        freed.incrementAndGet();
                    } catch (DoubleFreeException e) {
                        refused.incrementAndGet();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
                all.add(t);
                t.start();
            }
            for (Thread t : all) {
                t.join();
            }
            assertEquals(1, freed.get());
            assertEquals(threads - 1, refused.get());
        }
        AllocatorSnapshot s = slab.snapshot();
        assertEquals(0, s.liveBlocks());
        assertEquals(200 * 3, s.doubleFrees());
        assertUsable();
    }

    @Test
    void aSegmentIsBoundedToItsBlock() {
        long h = slab.allocate(64);
        MemorySegment s = slab.segment(h);
        assertThrows(IndexOutOfBoundsException.class, () -> s.get(ValueLayout.JAVA_BYTE, 64));
        assertThrows(IndexOutOfBoundsException.class, () -> s.get(ValueLayout.JAVA_BYTE, -1));
        assertEquals(s.address(), slab.address(h));
        slab.free(h);
        assertThrows(UseAfterFreeException.class, () -> slab.address(h));
    }

    @Test
    void freeingIntoAClosedAllocatorIsRefused() {
        long h = slab.allocate(64);
        slab.close();
        var e = assertThrows(IllegalStateException.class, () -> slab.free(h));
        assertEquals("allocator is closed: allocator=test-slab", e.getMessage());
        assertThrows(IllegalStateException.class, () -> slab.segment(h));
        assertFalse(slab.isLive(h));
        assertEquals(1, reports.size());
    }

    @Test
    void runningOutOfTheRegionLimitIsAnOutOfMemoryAndTheAllocatorStaysUsable() {
        Region region = Region.builder().reserve(1L << 30).limit(SegmentDescriptor.SEGMENT_BYTES).build();
        try (SlabAllocator small = SlabAllocator.builder().name("small").region(region).leakListener(r -> { }).build()) {
            List<Long> handles = new ArrayList<>();
            for (int i = 0; i < 2048; i++) {
                handles.add(small.allocate(1024)); // one segment: 32 pages of 64 blocks
            }
            var e = assertThrows(OutOfOffHeapMemoryException.class, () -> small.allocate(1024));
            assertTrue(e.getMessage().startsWith("out of off-heap memory, limit on committed bytes reached"), e.getMessage());
            assertEquals(1, small.snapshot().failedAllocations());
            small.free(handles.remove(0));
            handles.add(small.allocate(1024)); // the freed slot serves the next request
            assertEquals(2048, small.snapshot().liveBlocks());
            handles.forEach(small::free);
        } finally {
            region.close();
        }
    }

    @Test
    void aRegionWithChunksLargerThanASegmentIsRefused() {
        try (Region big = Region.builder().reserve(1L << 30).chunkSize(4L << 20).build()) {
            var e = assertThrows(IllegalArgumentException.class, () -> SlabAllocator.builder().region(big).build());
            assertEquals("region chunk must not exceed a slab segment of 2097152 bytes: chunkBytes=4194304", e.getMessage());
        }
    }

    private void assertUsable() {
        long h = slab.allocate(64);
        slab.segment(h).set(ValueLayout.JAVA_LONG, 56, 9L);
        assertEquals(64, slab.segment(h).byteSize(), "bounded to the block's class: the write at 56 was its last long");
        assertEquals(9L, slab.segment(h).get(ValueLayout.JAVA_LONG, 56));
        slab.free(h);
        assertFalse(slab.isLive(h));
    }
}
