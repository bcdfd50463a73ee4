package dev.offheap.allocator.region;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One daemon thread, shared by every region, that applies decay while a service is idle: without
 * it an idle chunk would be given back only when its region is next used.
 *
 * <p>Thread-safety: thread-safe. A region schedules itself (under its own lock) when chunks fall
 * idle; the daemon holds regions weakly, so a region nobody closes can still be collected, and it
 * is scheduled only while some region has idle chunks: with none it waits without a timeout. It
 * never holds its own lock while it calls into a region, so the lock order is always region, then
 * daemon. Each region's decay and purge pass is isolated: whatever one of them throws is counted
 * and reported by that region ({@link Region#maintenanceFailures()}), the region is visited again,
 * and the other regions due in the same pass are visited as if nothing happened.
 */
final class RegionDecayDaemon {
    /** How long to wait before trying again a decommit the kernel refused: 1 s. */
    static final long RETRY_AFTER_FAILURE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The name of the decay thread. */
    static final String THREAD_NAME = "offheap-region-decay";
    private static final Object LOCK = new Object();
    /** Region to the {@link System#nanoTime()} at which its next idle chunk decays. Guarded by LOCK. */
    private static final Map<Region, Long> DEADLINES = new WeakHashMap<>();
    /** Guarded by LOCK. */
    private static Thread thread;

    private RegionDecayDaemon() {
    }

    /**
     * Asks the daemon to apply the region's decay in {@code delayNanos} (or sooner if it was asked
     * to already).
     */
    static void schedule(Region region, long delayNanos) {
        long deadline = System.nanoTime() + Math.max(0, delayNanos);
        synchronized (LOCK) {
            Long existing = DEADLINES.get(region);
            if (existing != null && deadline - existing >= 0 && thread != null) {
                return; // the daemon comes sooner already: no need to wake it (a growing heap asks per chunk)
            }
            DEADLINES.put(region, deadline);
            if (thread == null) {
                thread = Thread.ofPlatform().name(THREAD_NAME).daemon(true).unstarted(RegionDecayDaemon::run);
                thread.start();
            }
            LOCK.notifyAll();
        }
    }

    /** {@return whether the daemon will visit {@code region} again, for tests} */
    static boolean isScheduled(Region region) {
        synchronized (LOCK) {
            return DEADLINES.containsKey(region);
        }
    }

    private static void run() {
        List<Region> due = new ArrayList<>();
        try {
            while (true) {
                synchronized (LOCK) {
                    while (DEADLINES.isEmpty()) {
                        LOCK.wait(); // nothing idle anywhere: not scheduled until a region schedules itself
                    }
                    long now = System.nanoTime();
                    long next = Long.MAX_VALUE;
                    for (Iterator<Map.Entry<Region, Long>> it = DEADLINES.entrySet().iterator(); it.hasNext(); ) {
                        Map.Entry<Region, Long> e = it.next();
                        if (e.getValue() - now <= 0) {
                            due.add(e.getKey());
                            it.remove();
                        } else {
                            next = Math.min(next, e.getValue() - now);
                        }
                    }
                    if (due.isEmpty()) {
                        TimeUnit.NANOSECONDS.timedWait(LOCK, next);
                        continue;
                    }
                }
                for (Region region : due) {
                    visit(region);
                }
                due.clear();
            }
        } catch (InterruptedException e) {
            // nobody interrupts it but a JVM shutting down; a later schedule starts another
        } finally {
            synchronized (LOCK) {
                if (thread == Thread.currentThread()) {
                    thread = null;
                }
            }
        }
    }

    /**
     * Applies one region's decay and purge pass, each isolated: whatever one of them throws
     * (an {@link Error} too: this thread holds nothing, and if it died decay would stop for every
     * region) is counted and reported by the region ({@link Region#reportMaintenanceFailure}), and
     * the region is visited again, so neither its next pass nor any other region's is lost.
     */
    private static void visit(Region region) {
        long remaining;
        try {
            remaining = region.decayNow();
        } catch (Throwable t) {
            region.reportMaintenanceFailure("decay", t);
            remaining = 0; // retry after the back-off
        }
        region.runRequestedPurge(); // reports its own failures; no lock of the region's held
        if (remaining >= 0) {
            // 0 left means a decommit that failed: back off instead of spinning.
            schedule(region, remaining == 0 ? RETRY_AFTER_FAILURE_NANOS : remaining);
        }
    }
}
