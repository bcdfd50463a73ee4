package dev.offheap.allocator.metrics;

/**
 * An allocator (or region) that reports its figures as an {@link AllocatorSnapshot}: what the
 * Micrometer binder {@code dev.offheap.allocator.metrics.micrometer.OffHeapMetrics} and any other
 * monitoring read.
 *
 * <p>Thread-safety: implementations must allow {@link #snapshot()} from any thread at any time,
 * concurrently with allocation, and after close.
 */
public interface MeteredAllocator {
    /**
     * Reads the allocator's figures without stopping its users. After close the memory figures
     * (reserved, committed, used, live blocks) read 0 and the counters keep their final values.
     *
     * @return the figures now; never {@code null}
     */
    AllocatorSnapshot snapshot();
}
