package dev.offheap.allocator.internal;

import dev.offheap.allocator.LeakListener;
import dev.offheap.allocator.LeakReport;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one leak path every allocator's {@code close()} (and every leak detector) reports through: it
 * counts the leaked blocks (for the snapshot's {@code leaks} and the metrics), records the JFR leak
 * event and hands the report to the allocator's {@link LeakListener}, which cannot make it throw.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class LeakReporter {
    private final String allocator;
    private final LeakListener listener;
    private final AtomicLong leakedBlocks = new AtomicLong();
    private final AtomicLong leakedBytes = new AtomicLong();

    /**
     * @param allocator the allocator's name, for reports
     * @param listener where reports go
     */
    public LeakReporter(String allocator, LeakListener listener) {
        this.allocator = allocator;
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Reports blocks still live when their allocator closed. Does nothing if {@code blocks} is 0.
     *
     * @param blocks how many blocks were live
     * @param bytes their usable bytes in total
     * @param allocationSites where some were allocated (at most {@link LeakReport#MAX_SITES} are
     *        kept), empty where tracking is off
     */
    public void outstandingAtClose(long blocks, long bytes, List<Throwable> allocationSites) {
        report(LeakReport.Cause.OUTSTANDING_AT_CLOSE, blocks, bytes, allocationSites);
    }

    /**
     * Reports one leak of any cause. Does nothing if {@code blocks} is 0.
     *
     * @param cause how it was found
     * @param blocks how many blocks leaked
     * @param bytes their usable bytes in total
     * @param allocationSites where some were allocated, empty where tracking is off
     */
    public void report(LeakReport.Cause cause, long blocks, long bytes, List<Throwable> allocationSites) {
        if (blocks <= 0) {
            return;
        }
        leakedBlocks.addAndGet(blocks);
        leakedBytes.addAndGet(bytes);
        List<Throwable> sites = allocationSites.size() > LeakReport.MAX_SITES
                ? allocationSites.subList(0, LeakReport.MAX_SITES) : allocationSites;
        LeakListener.deliver(listener, new LeakReport(allocator, cause, blocks, bytes, sites));
    }

    /** {@return the listener reports go to} */
    public LeakListener listener() {
        return listener;
    }

    /** {@return blocks reported as leaked so far} */
    public long leakedBlocks() {
        return leakedBlocks.get();
    }

    /** {@return bytes reported as leaked so far} */
    public long leakedBytes() {
        return leakedBytes.get();
    }
}
