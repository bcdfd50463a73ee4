package dev.offheap.allocator.region;

import dev.offheap.allocator.os.VirtualMemory;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Unmaps a closed region's range after a grace period ({@link VirtualMemory#unmapGrace()}), on
 * one shared daemon thread ({@code offheap-region-unmap}), so that a thread whose memory access
 * the JDK let through just after a shared scope's close (JDK-8364167) touches memory that is still
 * mapped, readable and writable, and gone from the resident set, instead of crashing the JVM.
 *
 * <p>Thread-safety: thread-safe.
 */
final class DeferredUnmap {
    /**
     * The most ranges waiting at once: past it a close unmaps at once, so that a service or a test
     * closing regions by the thousand per second does not pile up mappings (the kernel's
     * {@code vm.max_map_count}) for the sake of a rare JDK window.
     */
    static final int MAX_PENDING = 1024;
    private static final ScheduledExecutorService UNMAPPER = newUnmapper();
    private static final java.util.concurrent.atomic.AtomicInteger PENDING = new java.util.concurrent.atomic.AtomicInteger();

    private DeferredUnmap() {
    }

    private static ScheduledExecutorService newUnmapper() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "offheap-region-unmap");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    /** {@return the ranges waiting for their unmap now} For tests. */
    static int pending() {
        return PENDING.get();
    }

    /**
     * Unmaps {@code [address, address + byteSize)} once {@code grace} has passed; a refusal is
     * reported as a maintenance failure of {@code region} (the range then stays mapped).
     *
     * @return false, with nothing scheduled, when {@link #MAX_PENDING} ranges wait already: the
     *         caller unmaps at once
     */
    static boolean schedule(Region region, VirtualMemory memory, long address, long byteSize, Duration grace) {
        if (PENDING.incrementAndGet() > MAX_PENDING) {
            PENDING.decrementAndGet();
            return false;
        }
        UNMAPPER.schedule(() -> {
            try {
                memory.release(address, byteSize);
            } catch (RuntimeException e) {
                region.reportMaintenanceFailure("unmap", e);
            } finally {
                PENDING.decrementAndGet();
            }
        }, grace.toNanos(), TimeUnit.NANOSECONDS);
        return true;
    }
}
