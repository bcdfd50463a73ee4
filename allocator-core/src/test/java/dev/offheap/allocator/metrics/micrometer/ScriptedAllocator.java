package dev.offheap.allocator.metrics.micrometer;

import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.AllocatorSnapshot.SizeClassSnapshot;
import dev.offheap.allocator.metrics.MeteredAllocator;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test allocator that reports whatever snapshot the test sets, and counts how often it is asked:
 * for the counters that Region and BumpArena do not have yet (remote frees, misuse, size classes).
 */
final class ScriptedAllocator implements MeteredAllocator {
    final AtomicInteger snapshots = new AtomicInteger();
    volatile AllocatorSnapshot next;

    ScriptedAllocator(AllocatorSnapshot first) {
        this.next = first;
    }

    /** Every field a different value, so a meter that reads the wrong field is caught. */
    static AllocatorSnapshot distinctValues(String name) {
        return new AllocatorSnapshot(name, "slab", 1000, 800, 600, 11, 101, 90, 7, 5, 3, 2, 1, 13, 4096,
                List.of(new SizeClassSnapshot(16, 21, 256, 31), new SizeClassSnapshot(64, 22, 64, 32)),
                17, 170, 19, 2300, 4600, 29);
    }

    @Override
    public AllocatorSnapshot snapshot() {
        snapshots.incrementAndGet();
        return next;
    }
}
