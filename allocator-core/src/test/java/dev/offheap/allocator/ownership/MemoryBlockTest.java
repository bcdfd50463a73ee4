package dev.offheap.allocator.ownership;

import dev.offheap.allocator.LeakReport;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.slab.SlabAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryBlockTest {
    private final List<LeakReport> reports = new CopyOnWriteArrayList<>();
    private final SlabAllocator slab = SlabAllocator.builder().name("blocks").reserve(1L << 30)
            .leakListener(r -> { }).build();

    @AfterEach
    void tearDown() {
        slab.close();
    }

    private BlockAllocator blocks(LeakDetection level) {
        return BlockAllocator.over(slab).leakDetection(level).samplingInterval(1).leakListener(reports::add).build();
    }

    @Test
    void closeFreesTheBlockAndIsIdempotent() {
        BlockAllocator blocks = blocks(LeakDetection.DISABLED);
        long handle;
        try (MemoryBlock block = blocks.allocate(64)) {
            handle = block.handle();
            block.segment().set(ValueLayout.JAVA_LONG, 56, 7L);
            assertEquals(64, block.byteSize());
            assertEquals(64, block.segment().byteSize());
            assertTrue(slab.isLive(handle));
            assertEquals(1, blocks.liveBlocks());
        }
        assertFalse(slab.isLive(handle));
        assertEquals(0, blocks.liveBlocks());
        assertEquals(0, slab.snapshot().liveBlocks());
    }

    @Test
    void anyUseAfterCloseThrowsUseAfterFree() {
        MemoryBlock block = blocks(LeakDetection.DISABLED).allocate(32);
        block.close();
        block.close(); // idempotent
        var e = assertThrows(UseAfterFreeException.class, block::segment);
        assertTrue(e.getMessage().startsWith("memory block used after close: block=MemoryBlock[handle=0x"), e.getMessage());
        assertThrows(UseAfterFreeException.class, block::byteSize);
        assertThrows(UseAfterFreeException.class, block::handle);
        assertThrows(UseAfterFreeException.class, block::move);
        assertFalse(block.isOpen());
        assertEquals(0, slab.snapshot().doubleFrees());
    }

    @Test
    void aMoveHandsOwnershipOverAndKillsTheOldHandle() {
        BlockAllocator blocks = blocks(LeakDetection.PARANOID);
        MemoryBlock moved;
        try (MemoryBlock block = blocks.allocate(128)) {
            block.segment().set(ValueLayout.JAVA_INT, 0, 42);
            moved = block.move();
            var e = assertThrows(IllegalStateException.class, block::segment);
            assertTrue(e.getMessage().startsWith("memory block used after move"), e.getMessage());
            assertThrows(IllegalStateException.class, block::move);
        } // close of the moved-from handle: nothing happens
        assertTrue(moved.isOpen());
        assertEquals(42, moved.segment().get(ValueLayout.JAVA_INT, 0));
        assertEquals(1, blocks.liveBlocks());
        moved.close();
        assertEquals(0, slab.snapshot().liveBlocks());
        assertEquals(0, blocks.liveBlocks());
        blocks.close();
        assertTrue(reports.isEmpty());
    }

    @Test
    void aConfinedBlockRefusesOtherThreadsUntilMovedToThem() throws Exception {
        BlockAllocator blocks = blocks(LeakDetection.DISABLED);
        MemoryBlock block = blocks.allocateConfined(64);
        assertSame(Thread.currentThread(), block.ownerThread());
        AtomicReference<Throwable> seen = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                block.segment();
            } catch (Throwable t) {
                seen.set(t);
            }
        });
        other.start();
        other.join();
        assertTrue(seen.get() instanceof WrongThreadException, String.valueOf(seen.get()));
        assertTrue(seen.get().getMessage().startsWith("memory block is confined to another thread"));

        AtomicReference<MemoryBlock> handOver = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread consumer = new Thread(() -> {
            try {
                while (handOver.get() == null) {
                    Thread.onSpinWait();
                }
                try (MemoryBlock mine = handOver.get()) {
                    mine.segment().set(ValueLayout.JAVA_LONG, 0, 1L);
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        MemoryBlock forConsumer = block.moveTo(consumer);
        assertThrows(WrongThreadException.class, forConsumer::segment);
        handOver.set(forConsumer);
        consumer.start();
        consumer.join();
        assertNull(failure.get());
        assertFalse(forConsumer.isOpen());
        assertEquals(0, slab.snapshot().liveBlocks());
        assertEquals(1, slab.snapshot().remoteFrees());
    }

    @Test
    void blocksStillOwnedAtCloseAreReportedWithSitesUnderParanoid() {
        BlockAllocator blocks = blocks(LeakDetection.PARANOID);
        MemoryBlock a = blocks.allocate(100);
        MemoryBlock b = blocks.allocate(1000);
        blocks.allocate(16).close();
        blocks.close();
        assertEquals(1, reports.size());
        LeakReport report = reports.get(0);
        assertEquals(LeakReport.Cause.OUTSTANDING_AT_CLOSE, report.cause());
        assertEquals(2, report.blocks());
        assertEquals(112 + 1024, report.bytes());
        assertEquals(2, report.allocationSites().size());
        assertEquals(2, blocks.leaksReported());
        assertThrows(IllegalStateException.class, () -> blocks.allocate(8));
        a.close();
        b.close();
    }

    @Test
    void anUnreachableBlockIsReportedThroughTheCleanerWithItsSite() throws Exception {
        BlockAllocator blocks = blocks(LeakDetection.PARANOID);
        allocateAndDrop(blocks);
        awaitReports(1);
        LeakReport report = reports.get(0);
        assertEquals(LeakReport.Cause.UNREACHABLE, report.cause());
        assertEquals(1, report.blocks());
        assertEquals(256, report.bytes());
        assertEquals("blocks", report.allocator());
        boolean named = false;
        for (StackTraceElement frame : report.allocationSites().get(0).getStackTrace()) {
            named |= frame.getMethodName().equals("allocateAndDrop");
        }
        assertTrue(named, "the allocation site names the allocating method");
        assertEquals(1, blocks.leaksReported());
        assertEquals(1, slab.snapshot().liveBlocks(), "the memory is reported, not freed");
        assertEquals(0, blocks.liveBlocks());
        blocks.close(); // reported once already: not again as outstanding
        assertEquals(1, reports.size());
        assertEquals(1, blocks.leaksReported());
    }

    @Test
    void sampledLevelWatchesOneInNWithoutSites() throws Exception {
        BlockAllocator blocks = blocks(LeakDetection.SAMPLED); // interval 1: every block sampled
        allocateAndDrop(blocks);
        awaitReports(1);
        assertTrue(reports.get(0).allocationSites().isEmpty());
    }

    @Test
    void closedOrMovedBlocksAreNeverReportedAsLeaks() throws Exception {
        BlockAllocator blocks = blocks(LeakDetection.PARANOID);
        for (int i = 0; i < 100; i++) {
            blocks.allocate(32).close();
            blocks.allocate(32).move().close();
        }
        allocateAndDrop(blocks); // positive control: this one must be reported in the same GC window
        awaitReports(1);
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(1, reports.size(), () -> "false reports: " + reports);
        assertEquals(256, reports.getFirst().bytes(), "only the dropped block: " + reports);
        assertEquals(1, slab.snapshot().liveBlocks(), "only the dropped block's memory is still held");
    }

    @Test
    void disabledLevelReportsNoUnreachableBlockButCountsThemAtClose() throws Exception {
        BlockAllocator blocks = blocks(LeakDetection.DISABLED);
        allocateAndDrop(blocks);
        BlockAllocator watched = blocks(LeakDetection.PARANOID);
        watched.allocate(512).segment().fill((byte) 2); // positive control: dropped in the same GC window
        awaitReports(1);
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(1, reports.size(), () -> "only the watched block: " + reports);
        assertEquals(512, reports.getFirst().bytes());
        assertEquals(LeakReport.Cause.UNREACHABLE, reports.getFirst().cause());
        blocks.close();
        assertEquals(2, reports.size());
        assertEquals(1, reports.get(1).blocks());
        assertEquals(256, reports.get(1).bytes(), "the unwatched block is counted at close");
    }

    @Test
    void overACheckedSlabASegmentKeptAfterCloseThrowsFromTheJvm() {
        try (SlabAllocator checked = SlabAllocator.builder().reserve(1L << 30).checked(true).build()) {
            BlockAllocator blocks = BlockAllocator.over(checked).leakDetection(LeakDetection.DISABLED).build();
            MemorySegment kept;
            try (MemoryBlock block = blocks.allocate(40)) {
                kept = block.segment();
                assertEquals(40, kept.byteSize());
                kept.set(ValueLayout.JAVA_LONG, 32, 5L);
            }
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_LONG, 32));
        }
    }

    private static void allocateAndDrop(BlockAllocator blocks) {
        MemorySegment s = blocks.allocate(256).segment();
        s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
    }

    private void awaitReports(int n) throws InterruptedException {
        for (int i = 0; i < 200 && reports.size() < n; i++) {
            System.gc();
            Thread.sleep(25);
        }
        assertEquals(n, reports.size(), "leak reports after up to 200 GCs");
    }
}
