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
    private static final ScheduledExecutorService UNMAPPER = newUnmapper();

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

    /**
     * Unmaps {@code [address, address + byteSize)} once {@code grace} has passed; a refusal is
     * reported as a maintenance failure of {@code region} (the range then stays mapped).
     */
    static void schedule(Region region, VirtualMemory memory, long address, long byteSize, Duration grace) {
        UNMAPPER.schedule(() -> {
            try {
                memory.release(address, byteSize);
            } catch (RuntimeException e) {
                region.reportMaintenanceFailure("unmap", e);
            }
        }, grace.toNanos(), TimeUnit.NANOSECONDS);
    }
}
