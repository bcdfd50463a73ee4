package dev.offheap.allocator.metrics.micrometer;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class SnapshotCacheTest {

    @Test
    void reusesASnapshotForTheTimeToLiveThenTakesANewOne() {
        AtomicLong clock = new AtomicLong(1_000);
        SnapshotCache cache = new SnapshotCache(100, clock::get);
        ScriptedAllocator allocator = new ScriptedAllocator(ScriptedAllocator.distinctValues("a"));
        var first = cache.get(allocator);
        clock.addAndGet(99);
        allocator.next = ScriptedAllocator.distinctValues("b");
        assertSame(first, cache.get(allocator));
        assertEquals(1, allocator.snapshots.get());
        clock.addAndGet(1);
        assertEquals("b", cache.get(allocator).name());
        assertEquals(2, allocator.snapshots.get());
    }

    @Test
    void aZeroTimeToLiveTakesASnapshotOnEveryRead() {
        SnapshotCache cache = new SnapshotCache(0, () -> 5);
        ScriptedAllocator allocator = new ScriptedAllocator(ScriptedAllocator.distinctValues("a"));
        cache.get(allocator);
        cache.get(allocator);
        assertEquals(2, allocator.snapshots.get());
    }
}
