package dev.offheap.allocator.metrics.micrometer;

import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.MeteredAllocator;

import java.util.function.LongSupplier;

/**
 * The last snapshot of one allocator, reused for a short time so that one scrape, which reads some
 * twenty meters, takes one snapshot instead of twenty. Holds no reference to the allocator.
 *
 * <p>Thread-safety: thread-safe. Two scrapes at once may both take a snapshot; either result is
 * valid, and the later store wins.
 */
final class SnapshotCache {
    /** A snapshot and when it was taken, in {@link #clock} nanoseconds. */
    private record Sample(AllocatorSnapshot snapshot, long takenAt) {
    }

    private final long ttlNanos;
    private final LongSupplier clock;
    /** Volatile: publishes the sample (an immutable record) to the next reader. */
    private volatile Sample last;

    SnapshotCache(long ttlNanos, LongSupplier clock) {
        this.ttlNanos = ttlNanos;
        this.clock = clock;
    }

    /** {@return a snapshot of {@code allocator} taken at most the time to live ago} */
    AllocatorSnapshot get(MeteredAllocator allocator) {
        long now = clock.getAsLong();
        Sample sample = last;
        if (sample == null || ttlNanos == 0 || now - sample.takenAt() >= ttlNanos) {
            sample = new Sample(allocator.snapshot(), now);
            last = sample;
        }
        return sample.snapshot();
    }
}
