package dev.offheap.allocator.ownership;

import dev.offheap.allocator.LeakReport;

import java.util.List;

/**
 * The {@code Cleaner} action of one watched {@link MemoryBlock}: if the block becomes unreachable
 * before it was closed or moved, reports it. It must not reference the block (the block would never
 * become unreachable).
 *
 * <p>Thread-safety: {@code released} is written by the block's closer and read by the Cleaner's
 * thread; volatile, so a block closed before it became unreachable is never reported.
 */
final class LeakTracker implements Runnable {
    final BlockAllocator blocks;
    final long byteSize;
    /** Where the block was allocated; null unless PARANOID. */
    final Throwable site;
    volatile boolean released;

    LeakTracker(BlockAllocator blocks, long byteSize, Throwable site) {
        this.blocks = blocks;
        this.byteSize = byteSize;
        this.site = site;
    }

    @Override
    public void run() {
        if (released) {
            return; // closed or moved: the Cleanable was cleaned explicitly
        }
        released = true;
        blocks.reportLeak(new LeakReport(blocks.allocator().name(), LeakReport.Cause.UNREACHABLE, 1, byteSize,
                site == null ? List.of() : List.of(site)), this);
    }
}
