package dev.offheap.allocator.metrics;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What Region and BumpArena report, field by field, after known sequences of operations. */
public class AllocatorSnapshotsTest {
    private static final long MiB = 1L << 20;

    /**
     * Acquire A (1 chunk), B (2), release A; C (3 chunks) fails under the 8 MiB limit after A's idle
     * chunk is decommitted to make room; D (1) is acquired and released.
     */
    public static Region regionAfterKnownSequence(String name) {
        Region region = Region.builder().name(name).reserve(64 * MiB).limit(8 * MiB)
                .decay(Duration.ofHours(1)).build();
        Span a = region.acquire(2 * MiB);
        region.acquire(4 * MiB);
        region.release(a);
        assertThrows(OutOfOffHeapMemoryException.class, () -> region.acquire(6 * MiB));
        region.release(region.acquire(2 * MiB));
        return region;
    }

    /** Expected snapshot of {@link #regionAfterKnownSequence}. */
    public static AllocatorSnapshot expectedRegion(String name) {
        return new AllocatorSnapshot(name, "region", 64 * MiB, 6 * MiB, 4 * MiB, 1, 3, 2, 0, 1, 0, 0, 0, 0,
                2 * MiB, List.of());
    }

    /** Three 64 B blocks, one of 3 MiB (a second span of 4 MiB), one too large for any span. */
    public static BumpArena bumpAfterKnownSequence(String name) {
        BumpArena arena = BumpArena.builder().name(name).reserve(64 * MiB).build();
        for (int i = 0; i < 3; i++) {
            arena.allocate(64, 8);
        }
        arena.allocate(3 * MiB, 8);
        assertThrows(OutOfOffHeapMemoryException.class, () -> arena.allocate(128 * MiB, 8));
        return arena;
    }

    /** Expected snapshot of {@link #bumpAfterKnownSequence}: the first span's tail is skipped, so used. */
    public static AllocatorSnapshot expectedBump(String name) {
        return new AllocatorSnapshot(name, "bump", 64 * MiB, 6 * MiB, 5 * MiB, 0, 4, 0, 0, 1, 0, 0, 0, 0, 0,
                List.of());
    }

    @Test
    void regionReportsSpansAsBlocksAndItsByteCounts() {
        try (Region region = regionAfterKnownSequence("r")) {
            AllocatorSnapshot snapshot = region.snapshot();
            assertEquals(expectedRegion("r"), snapshot);
            assertEquals(2 * MiB, snapshot.fragmentationBytes());
            assertEquals(1.0 / 3, snapshot.fragmentationRatio(), 1e-12);
        }
    }

    @Test
    void closedRegionReportsNoMemoryAndKeepsItsCounters() {
        Region region = regionAfterKnownSequence("r");
        region.close();
        assertEquals(new AllocatorSnapshot("r", "region", 0, 0, 0, 0, 3, 2, 0, 1, 0, 0, 0, 0, 2 * MiB, List.of()),
                region.snapshot());
    }

    @Test
    void bumpArenaCountsAllocationsAndFailures() {
        try (BumpArena arena = bumpAfterKnownSequence("b")) {
            assertEquals(expectedBump("b"), arena.snapshot());
            arena.reset();
            AllocatorSnapshot afterReset = arena.snapshot();
            assertEquals(0, afterReset.usedBytes());
            assertEquals(6 * MiB, afterReset.committedBytes());
            assertEquals(4, afterReset.allocations());
        }
    }

    @Test
    void closedBumpArenaReportsNoMemoryAndKeepsItsCounters() {
        BumpArena arena = bumpAfterKnownSequence("b");
        arena.close();
        assertEquals(new AllocatorSnapshot("b", "bump", 0, 0, 0, 0, 4, 0, 0, 1, 0, 0, 0, 0, 0, List.of()),
                arena.snapshot());
    }

    @Test
    void bumpArenaOverASharedRegionReportsTheBytesItHoldsAsReserved() {
        try (Region region = Region.builder().name("shared-region").reserve(64 * MiB).build();
             BumpArena arena = BumpArena.builder().name("b").region(region).build()) {
            arena.allocate(100, 8);
            AllocatorSnapshot snapshot = arena.snapshot();
            assertEquals(2 * MiB, snapshot.reservedBytes());
            assertEquals(2 * MiB, snapshot.committedBytes());
            assertEquals(100, snapshot.usedBytes());
            assertEquals(1, snapshot.allocations());
            assertEquals(1, region.snapshot().allocations());
        }
    }

    @Test
    void confinedArenaCanBeReadFromAnotherThread() throws Exception {
        try (BumpArena arena = BumpArena.builder().name("b").reserve(64 * MiB).build()) {
            arena.allocate(64, 8);
            arena.allocate(64, 8);
            AllocatorSnapshot[] seen = new AllocatorSnapshot[1];
            Thread reader = new Thread(() -> seen[0] = arena.snapshot());
            reader.start();
            reader.join();
            assertEquals(2, seen[0].allocations());
            assertEquals(128, seen[0].usedBytes());
        }
    }

    @Test
    void sharedArenaCountsEveryAllocationFromManyThreads() throws Exception {
        try (BumpArena arena = BumpArena.builder().name("b").reserve(256 * MiB).shared(true).build()) {
            Thread[] threads = new Thread[4];
            for (int t = 0; t < threads.length; t++) {
                threads[t] = new Thread(() -> {
                    for (int i = 0; i < 10_000; i++) {
                        arena.allocate(16, 8);
                    }
                });
                threads[t].start();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            AllocatorSnapshot snapshot = arena.snapshot();
            assertEquals(40_000, snapshot.allocations());
            assertEquals(40_000 * 16, snapshot.usedBytes());
        }
    }

    @Test
    void aRefusedSpanLeavesTheArenaWhereItWas() {
        try (Region region = Region.builder().name("tight").reserve(64 * MiB).limit(6 * MiB).build();
             BumpArena arena = BumpArena.builder().name("b").region(region).build()) {
            arena.allocate(3 * MiB, 8); // first span: 4 MiB (request larger than one chunk)
            long used = arena.usedBytes();
            assertEquals(3 * MiB, used);
            // 4 MiB more does not fit in the span and a new span would exceed the limit.
            assertThrows(OutOfOffHeapMemoryException.class, () -> arena.allocate(4 * MiB, 8));
            assertEquals(used, arena.usedBytes());
            assertEquals(used, arena.snapshot().usedBytes());
            assertEquals(1, arena.snapshot().failedAllocations());
            // The next block that fits lands right after the last one, in the same span, zeroed.
            var block = arena.allocate(64, 8);
            assertEquals(used + 64, arena.usedBytes());
            assertEquals(0, block.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
        }
    }

    @Test
    void aRefusedSpanAfterAResetKeepsTheArenaConsistent() {
        try (Region region = Region.builder().name("tight2").reserve(64 * MiB).limit(6 * MiB).build();
             BumpArena arena = BumpArena.builder().name("b2").region(region).build()) {
            arena.allocate(2 * MiB, 8).fill((byte) 0x5A);     // span 0 (2 MiB), full and dirty
            arena.allocate(4 * MiB, 8).fill((byte) 0x5A);     // span 1 (4 MiB), full and dirty
            arena.reset();
            arena.allocate(64, 8);                           // back in span 0, dirty memory zeroed
            long used = arena.usedBytes();
            // Skips spare span 1 (too short), then the region refuses: nothing may have moved.
            assertThrows(OutOfOffHeapMemoryException.class, () -> arena.allocate(5 * MiB, 8));
            assertEquals(used, arena.usedBytes());
            var block = arena.allocate(4096, 8);             // still in span 0, after the first block
            assertEquals(used + 4096, arena.usedBytes());
            for (long offset = 0; offset < 4096; offset += 8) {
                assertEquals(0, block.get(java.lang.foreign.ValueLayout.JAVA_LONG, offset), "zeroed at " + offset);
            }
        }
    }
}
