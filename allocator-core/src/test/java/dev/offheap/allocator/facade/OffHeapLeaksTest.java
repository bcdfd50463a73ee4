package dev.offheap.allocator.facade;

import dev.offheap.allocator.LeakException;
import dev.offheap.allocator.LeakPolicy;
import dev.offheap.allocator.LeakReport;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.ownership.LeakDetection;
import dev.offheap.allocator.ownership.MemoryBlock;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The façade's one leak path: each leaked block reported once, and the strict close for tests. */
class OffHeapLeaksTest {

    private static long blocksIn(List<LeakReport> reports) {
        return reports.stream().mapToLong(LeakReport::blocks).sum();
    }

    @Test
    void objectHandlesLeakedAtCloseAreReportedAndCountedOnce() {
        List<LeakReport> reports = new CopyOnWriteArrayList<>();
        OffHeap memory = OffHeap.builder().reserve(1L << 30).leakListener(reports::add).build();
        List<MemoryBlock> kept = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            kept.add(memory.allocateBlock(64 + i * 100)); // slab range
        }
        long handleLeak = memory.allocate(200);
        memory.allocateBlock(300).close(); // closed: not a leak
        memory.close();
        assertEquals(6, blocksIn(reports), "5 object handles and 1 long handle, each once: " + reports);
        assertEquals(6, memory.snapshot().leaks());
        assertTrue(kept.getFirst().isOpen(), "the test holds the blocks to the end: handle=" + handleLeak);
    }

    @Test
    void leaksInEveryRangeAreCountedOnceInTheSnapshot() {
        OffHeap memory = OffHeap.builder().reserve(1L << 30).build();
        List<MemoryBlock> kept = new ArrayList<>();
        kept.add(memory.allocateBlock(64));                 // slab
        kept.add(memory.allocateBlock(1000));               // slab
        kept.add(memory.allocateBlock(100 << 10));          // free list
        kept.add(memory.allocateBlock(200 << 10));          // free list
        kept.add(memory.allocateBlock(3L << 20));           // large
        memory.close();
        assertEquals(5, memory.snapshot().leaks(), "was 7 for 5 when the block allocator and the slab both counted");
        assertEquals(5, kept.size());
    }

    @Test
    void everyRangeReportsToTheFacadesListener() {
        List<LeakReport> reports = new CopyOnWriteArrayList<>();
        OffHeap memory = OffHeap.builder().reserve(1L << 30).leakListener(reports::add).build();
        memory.allocate(64);
        memory.allocate(100 << 10);
        memory.allocateBlock(200 << 10);
        memory.allocate(3L << 20);
        memory.close();
        assertEquals(4, blocksIn(reports), reports::toString);
        assertEquals(4, memory.snapshot().leaks());
    }

    @Test
    void anObjectHandleFoundUnreachableIsCountedOnceThoughItsRangeReportsItAtCloseToo() throws InterruptedException {
        List<LeakReport> reports = new CopyOnWriteArrayList<>();
        OffHeap memory = OffHeap.builder().reserve(1L << 30).leakDetection(LeakDetection.PARANOID)
                .leakListener(reports::add).build();
        dropBlock(memory);
        for (int i = 0; i < 200 && reports.isEmpty(); i++) {
            System.gc();
            Thread.sleep(25);
        }
        assertEquals(1, reports.size(), "found unreachable: " + reports);
        assertEquals(LeakReport.Cause.UNREACHABLE, reports.getFirst().cause());
        assertEquals(1, memory.snapshot().leaks());
        memory.allocate(64); // and one long handle leaked at close
        memory.close();
        assertEquals(List.of(LeakReport.Cause.UNREACHABLE, LeakReport.Cause.OUTSTANDING_AT_CLOSE),
                reports.stream().map(LeakReport::cause).toList(), reports::toString);
        assertEquals(2, reports.getLast().blocks(), "the range still held the dropped block's memory");
        assertEquals(2, memory.snapshot().leaks(), "two blocks leaked, each counted once");
    }

    private static void dropBlock(OffHeap memory) {
        memory.allocateBlock(96).segment().fill((byte) 1);
    }

    @Test
    void afterCloseTheSnapshotShowsNoLiveMemory() {
        OffHeap memory = OffHeap.builder().reserve(1L << 30).build();
        memory.allocate(64);
        memory.allocate(100 << 10);
        memory.allocate(3L << 20);
        AllocatorSnapshot before = memory.snapshot();
        assertEquals(3, before.liveBlocks());
        memory.close();
        AllocatorSnapshot after = memory.snapshot();
        assertEquals(0, after.liveBlocks());
        assertEquals(0, after.usedBytes());
        assertEquals(0, after.committedBytes());
        assertEquals(3, after.allocations(), "counters keep their final values");
        assertEquals(3, after.leaks());
    }

    @Test
    void strictCloseThrowsNamingEveryLeakedBlockAfterReleasingEverything() {
        OffHeap memory = OffHeap.builder().reserve(1L << 30).leakPolicy(LeakPolicy.THROW)
                .leakDetection(LeakDetection.PARANOID).build();
        long small = memory.allocate(100);
        long medium = memory.allocate(100 << 10);
        MemoryBlock block = memory.allocateBlock(3L << 20);
        long freed = memory.allocate(64);
        memory.free(freed);
        MemorySegment kept = memory.segment(small);
        LeakException e = assertThrows(LeakException.class, memory::close);
        assertEquals(3, e.blocks().size(), e::getMessage);
        List<Long> handles = e.blocks().stream().map(LeakException.Block::handle).toList();
        assertTrue(handles.containsAll(List.of(small, medium)), e::getMessage);
        assertEquals(List.of(112L, 100L << 10, block.byteSize()),
                e.blocks().stream().map(LeakException.Block::byteSize).sorted().toList(), e::getMessage);
        assertEquals(e.bytes(), e.blocks().stream().mapToLong(LeakException.Block::byteSize).sum());
        for (LeakException.Block b : e.blocks()) {
            assertTrue(b.allocationSite() != null && java.util.Arrays.stream(b.allocationSite().getStackTrace())
                    .anyMatch(f -> f.getMethodName().equals("strictCloseThrowsNamingEveryLeakedBlockAfterReleasingEverything")),
                    "the site names the test: " + b);
        }
        assertEquals(3, e.getSuppressed().length, "each site attached for the stack trace");
        assertTrue(e.getMessage().startsWith("blocks still live at close: allocator=offheap, blocks=3, bytes="),
                e.getMessage());
        assertTrue(memory.region().isClosed(), "everything was released before the throw");
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
        memory.close(); // idempotent: the leaks were thrown once
        assertTrue(block.isOpen());
    }

    @Test
    void strictCloseWithoutTrackingNamesBlocksWithoutSitesAndCleanCloseDoesNotThrow() {
        OffHeap leaky = OffHeap.builder().reserve(1L << 30).leakPolicy(LeakPolicy.THROW).build();
        long h = leaky.allocate(64);
        long r = leaky.resize(leaky.allocate(200 << 10), 300 << 10); // a resize is a free and an allocation
        LeakException e = assertThrows(LeakException.class, leaky::close);
        assertEquals(List.of(h, r).stream().sorted().toList(),
                e.blocks().stream().map(LeakException.Block::handle).sorted().toList(), e::getMessage);
        assertTrue(e.blocks().stream().allMatch(b -> b.allocationSite() == null));
        assertTrue(e.getMessage().contains("allocationSite=untracked"), e::getMessage);

        OffHeap clean = OffHeap.builder().reserve(1L << 30).leakPolicy(LeakPolicy.THROW).build();
        long a = clean.allocate(64);
        long b = clean.resize(clean.allocate(200 << 10), 300 << 10);
        long c = clean.resize(clean.allocate(64), 5000);
        try (MemoryBlock block = clean.allocateBlock(1000)) {
            block.segment().fill((byte) 1);
        }
        clean.free(a);
        clean.free(b);
        clean.free(c);
        clean.close(); // nothing live: no throw
        assertEquals(0, clean.snapshot().leaks());
    }
}
