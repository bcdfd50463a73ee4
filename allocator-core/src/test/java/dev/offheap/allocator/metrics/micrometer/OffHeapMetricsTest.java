package dev.offheap.allocator.metrics.micrometer;

import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.metrics.micrometer.OffHeapMeters.MisuseType;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static dev.offheap.allocator.metrics.AllocatorSnapshotsTest.bumpAfterKnownSequence;
import static dev.offheap.allocator.metrics.AllocatorSnapshotsTest.expectedBump;
import static dev.offheap.allocator.metrics.AllocatorSnapshotsTest.expectedRegion;
import static dev.offheap.allocator.metrics.AllocatorSnapshotsTest.regionAfterKnownSequence;
import static dev.offheap.allocator.metrics.micrometer.OffHeapMeters.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OffHeapMetricsTest {
    private static final long MiB = 1L << 20;
    /** Meters that read one snapshot field each. */
    private static final int SNAPSHOT_METERS = 20;
    /** Every allocator's meters: the snapshot ones and the misuse counter's four types. */
    private static final int ALLOCATOR_METERS = SNAPSHOT_METERS + MisuseType.values().length;
    /** An allocator that owns its region also has the limit and peak gauges. */
    private static final int REGION_METERS = ALLOCATOR_METERS + 2;
    private static final int SIZE_CLASS_METERS = 3;

    private final MeterRegistry registry = new SimpleMeterRegistry();

    /** Reads a meter of the allocator named {@code name} (and of size class {@code sizeClass} if not null). */
    private double read(OffHeapMeters meter, String name, String sizeClass) {
        var search = registry.get(meter.getName()).tag("name", name);
        if (sizeClass != null) {
            search = search.tag("size.class", sizeClass);
        }
        return meter.getType() == Meter.Type.GAUGE ? search.gauge().value() : search.functionCounter().count();
    }

    private double read(OffHeapMeters meter, String name) {
        return read(meter, name, null);
    }

    private double readMisuse(String name, MisuseType type) {
        return registry.get(MISUSE.getName()).tag("name", name).tag("type", type.tagValue()).functionCounter().count();
    }

    /** Reads every value of every meter, as a scrape does ({@code measure()} alone is lazy). */
    private static void scrape(MeterRegistry registry) {
        for (Meter meter : registry.getMeters()) {
            for (Measurement measurement : meter.measure()) {
                measurement.getValue();
            }
        }
    }

    private long metersOf(String name) {
        return registry.getMeters().stream().filter(m -> name.equals(m.getId().getTag("name"))).count();
    }

    @Test
    void everyMeterReadsTheSnapshotFieldItDocuments() {
        ScriptedAllocator allocator = new ScriptedAllocator(ScriptedAllocator.distinctValues("s"));
        new OffHeapMetrics(allocator, Tags.of("service", "test"), Duration.ZERO).bindTo(registry);

        Map<OffHeapMeters, Double> expected = new HashMap<>();
        expected.put(MEMORY_RESERVED, 1000.0);
        expected.put(MEMORY_COMMITTED, 800.0);
        expected.put(MEMORY_USED, 600.0);
        expected.put(BLOCKS_LIVE, 11.0);
        expected.put(FRAGMENTATION, 200.0);
        expected.put(FRAGMENTATION_RATIO, 0.25);
        expected.put(ALLOCATIONS, 101.0);
        expected.put(FREES, 90.0);
        expected.put(FREES_REMOTE, 7.0);
        expected.put(ALLOCATIONS_FAILED, 5.0);
        expected.put(DOUBLE_FREES, 3.0);
        expected.put(USE_AFTER_FREES, 2.0);
        expected.put(CORRUPTIONS, 1.0);
        expected.put(LEAKS, 13.0);
        expected.put(MEMORY_DECOMMITTED, 4096.0);
        expected.put(COMMITS_ON_CALLER, 17.0);
        expected.put(MAINTENANCE_FAILURES, 19.0);
        expected.put(METADATA_HEAP, 2300.0);
        expected.put(METADATA_OFFHEAP, 4600.0);
        expected.put(THREAD_CACHES, 29.0);
        assertEquals(SNAPSHOT_METERS, expected.size());
        for (var entry : expected.entrySet()) {
            assertEquals(entry.getValue(), read(entry.getKey(), "s"), entry.getKey().name());
        }
        assertEquals(13.0, readMisuse("s", MisuseType.LEAK));
        assertEquals(3.0, readMisuse("s", MisuseType.DOUBLE_FREE));
        assertEquals(2.0, readMisuse("s", MisuseType.USE_AFTER_FREE));
        assertEquals(1.0, readMisuse("s", MisuseType.CORRUPTION));
        assertEquals(21.0, read(SIZE_CLASS_BLOCKS_LIVE, "s", "16"));
        assertEquals(256.0, read(SIZE_CLASS_BLOCKS_CAPACITY, "s", "16"));
        assertEquals(31.0, read(SIZE_CLASS_ALLOCATIONS, "s", "16"));
        assertEquals(22.0, read(SIZE_CLASS_BLOCKS_LIVE, "s", "64"));
        assertEquals(64.0, read(SIZE_CLASS_BLOCKS_CAPACITY, "s", "64"));
        assertEquals(32.0, read(SIZE_CLASS_ALLOCATIONS, "s", "64"));

        // Exactly the documented meters, each with its description, unit and tags.
        assertEquals(ALLOCATOR_METERS + 2 * SIZE_CLASS_METERS, registry.getMeters().size());
        for (Meter meter : registry.getMeters()) {
            OffHeapMeters documented = byName(meter.getId().getName());
            assertEquals(documented.getDescription(), meter.getId().getDescription());
            assertEquals(documented.getBaseUnit(), meter.getId().getBaseUnit());
            assertEquals(documented.getType(), meter.getId().getType());
            assertEquals("s", meter.getId().getTag("name"));
            assertEquals("slab", meter.getId().getTag("kind"));
            assertEquals("test", meter.getId().getTag("service"));
            assertEquals(documented.getKeyNames().length + 1, meter.getId().getTags().size());
        }
    }

    private static OffHeapMeters byName(String name) {
        for (OffHeapMeters meter : OffHeapMeters.values()) {
            if (meter.getName().equals(name)) {
                return meter;
            }
        }
        throw new AssertionError("undocumented meter: " + name);
    }

    @Test
    void regionAndBumpArenaInOneRegistryEachReadTheirExactValues() {
        try (Region region = regionAfterKnownSequence("r1");
             BumpArena arena = bumpAfterKnownSequence("b1")) {
            new OffHeapMetrics(region, Tags.empty(), Duration.ZERO).bindTo(registry);
            new OffHeapMetrics(arena, Tags.empty(), Duration.ZERO).bindTo(registry);

            assertEquals(64.0 * MiB, read(MEMORY_RESERVED, "r1"));
            assertEquals(6.0 * MiB, read(MEMORY_COMMITTED, "r1"));
            assertEquals(4.0 * MiB, read(MEMORY_USED, "r1"));
            assertEquals(1.0, read(BLOCKS_LIVE, "r1"));
            assertEquals(2.0 * MiB, read(FRAGMENTATION, "r1"));
            assertEquals(1.0 / 3, read(FRAGMENTATION_RATIO, "r1"), 1e-12);
            assertEquals(3.0, read(ALLOCATIONS, "r1"));
            assertEquals(2.0, read(FREES, "r1"));
            assertEquals(1.0, read(ALLOCATIONS_FAILED, "r1"));
            assertEquals(2.0 * MiB, read(MEMORY_DECOMMITTED, "r1"));
            assertEveryMeterReads(expectedRegion("r1"), "r1", REGION_METERS);

            assertEquals(6.0 * MiB, read(MEMORY_COMMITTED, "b1"));
            assertEquals(5.0 * MiB, read(MEMORY_USED, "b1"));
            assertEquals(4.0, read(ALLOCATIONS, "b1"));
            assertEquals(1.0, read(ALLOCATIONS_FAILED, "b1"));
            assertEveryMeterReads(expectedBump("b1"), "b1", ALLOCATOR_METERS);
            assertEquals("bump", registry.get(ALLOCATIONS.getName()).tag("name", "b1").functionCounter()
                    .getId().getTag("kind"));

            // Values follow the allocator (no cache with a zero time to live).
            arena.allocate(1000, 8);
            assertEquals(5.0, read(ALLOCATIONS, "b1"));
            assertEquals(3.0, read(ALLOCATIONS, "r1"));
        }
    }

    private void assertEveryMeterReads(AllocatorSnapshot expected, String name, int meters) {
        assertEquals(meters, metersOf(name));
        for (OffHeapMeters meter : OffHeapMeters.values()) {
            if (meter.isPerAllocator()) {
                assertEquals(meter.read(expected), read(meter, name), meter.name());
            }
        }
    }

    @Test
    void twoRegionsInOneRegistryKeepTheirOwnValues() {
        try (Region small = Region.builder().name("small").reserve(64 * MiB).build();
             Region large = Region.builder().name("large").reserve(64 * MiB).build()) {
            new OffHeapMetrics(small, Tags.empty(), Duration.ZERO).bindTo(registry);
            new OffHeapMetrics(large, Tags.empty(), Duration.ZERO).bindTo(registry);
            small.acquire(2 * MiB);
            large.acquire(8 * MiB);
            large.acquire(2 * MiB);
            assertEquals(2.0 * MiB, read(MEMORY_USED, "small"));
            assertEquals(10.0 * MiB, read(MEMORY_USED, "large"));
            assertEquals(1.0, read(ALLOCATIONS, "small"));
            assertEquals(2.0, read(ALLOCATIONS, "large"));
            assertEquals(2 * REGION_METERS, registry.getMeters().size());
        }
    }

    @Test
    void oneScrapeTakesOneSnapshotWhileTheCachedOneIsFresh() {
        ScriptedAllocator allocator = new ScriptedAllocator(ScriptedAllocator.distinctValues("s"));
        new OffHeapMetrics(allocator, Tags.empty(), Duration.ofHours(1)).bindTo(registry);
        int afterBind = allocator.snapshots.get(); // name and kind, then the size classes
        assertEquals(2, afterBind);
        AllocatorSnapshot atBind = allocator.next;
        allocator.next = new AllocatorSnapshot("s", "slab", 1000, 800, 600, 11, 202, 90, 7, 5, 3, 2, 1, 13, 4096,
                atBind.sizeClasses()); // 202 allocations now, 101 at bind
        for (int scrape = 0; scrape < 3; scrape++) {
            scrape(registry);
        }
        assertEquals(ALLOCATOR_METERS + 2 * SIZE_CLASS_METERS, registry.getMeters().size());
        assertEquals(afterBind + 1, allocator.snapshots.get(), "every meter read one cached snapshot");
        // The first scrape took a snapshot of its own: bind time did not seed the cache.
        assertEquals(202.0, read(ALLOCATIONS, "s"));

        // Without a cache every meter read takes a snapshot: what the cache saves.
        ScriptedAllocator uncached = new ScriptedAllocator(ScriptedAllocator.distinctValues("u"));
        MeterRegistry other = new SimpleMeterRegistry();
        new OffHeapMetrics(uncached, Tags.empty(), Duration.ZERO).bindTo(other);
        int before = uncached.snapshots.get();
        scrape(other);
        assertEquals(ALLOCATOR_METERS + 2 * SIZE_CLASS_METERS, other.getMeters().size());
        assertEquals(ALLOCATOR_METERS + 2 * SIZE_CLASS_METERS, uncached.snapshots.get() - before);
    }

    @Test
    void afterCloseGaugesReadZeroAndCountersKeepTheirFinalValues() {
        Region region = regionAfterKnownSequence("r");
        new OffHeapMetrics(region, Tags.empty(), Duration.ZERO).bindTo(registry);
        region.close();
        for (OffHeapMeters gauge : new OffHeapMeters[] {MEMORY_RESERVED, MEMORY_COMMITTED, MEMORY_USED,
                BLOCKS_LIVE, FRAGMENTATION, FRAGMENTATION_RATIO}) {
            assertEquals(0.0, read(gauge, "r"), gauge.name());
        }
        assertEquals(3.0, read(ALLOCATIONS, "r"));
        assertEquals(2.0, read(FREES, "r"));
        assertEquals(1.0, read(ALLOCATIONS_FAILED, "r"));
        assertEquals(2.0 * MiB, read(MEMORY_DECOMMITTED, "r"));
    }

    @Test
    void neitherBinderNorMetersKeepAClosedAllocatorReachable() throws InterruptedException {
        OffHeapMetrics[] binder = new OffHeapMetrics[1]; // kept strongly, as a service would
        WeakReference<Region> ref = bindAndCloseRegion(binder);
        scrape(registry); // meters have been read since close
        for (int i = 0; i < 100 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(ref.get(), "a closed, bound region must be collectable");
        assertTrue(Double.isNaN(read(MEMORY_COMMITTED, "gone")), "gauges of a collected allocator read NaN");
        assertEquals(3.0, read(ALLOCATIONS, "gone"), "counters keep their last value");
        binder[0].bindTo(new SimpleMeterRegistry()); // binding a collected allocator does nothing, throws nothing
    }

    private WeakReference<Region> bindAndCloseRegion(OffHeapMetrics[] binder) {
        Region region = regionAfterKnownSequence("gone");
        binder[0] = new OffHeapMetrics(region, Tags.empty(), Duration.ZERO);
        binder[0].bindTo(registry);
        assertEquals(3.0, read(ALLOCATIONS, "gone"));
        region.close();
        return new WeakReference<>(region);
    }

    @Test
    void aSecondAllocatorWithTheSameNameAndKindReplacesTheFirstsMeters() {
        try (Region first = Region.builder().name("same").reserve(64 * MiB).build();
             Region second = Region.builder().name("same").reserve(64 * MiB).build()) {
            first.acquire(2 * MiB);
            second.acquire(4 * MiB);
            new OffHeapMetrics(first, Tags.empty(), Duration.ZERO).bindTo(registry);
            assertEquals(2.0 * MiB, read(MEMORY_USED, "same"));
            new OffHeapMetrics(second, Tags.empty(), Duration.ZERO).bindTo(registry);
            assertEquals(4.0 * MiB, read(MEMORY_USED, "same"));
            assertEquals(REGION_METERS, registry.getMeters().size());
        }
    }

    @Test
    void unbindRemovesEveryMeterOfThatBinderOnly() {
        try (Region kept = Region.builder().name("kept").reserve(64 * MiB).build();
             Region removed = Region.builder().name("removed").reserve(64 * MiB).build()) {
            new OffHeapMetrics(kept).bindTo(registry);
            OffHeapMetrics binder = new OffHeapMetrics(removed);
            binder.bindTo(registry);
            assertEquals(2 * REGION_METERS, registry.getMeters().size());
            binder.unbindFrom(registry);
            assertEquals(0, metersOf("removed"));
            assertEquals(REGION_METERS, metersOf("kept"));
        }
    }

    @Test
    void documentationNamesFollowMicrometersConventions() {
        for (OffHeapMeters meter : OffHeapMeters.values()) {
            assertTrue(meter.getName().matches("offheap(\\.[a-z]+)+"), meter.getName());
            assertFalse(meter.getDescription().isBlank(), meter.name());
            assertTrue(meter.getType() == Meter.Type.GAUGE || meter.getType() == Meter.Type.COUNTER);
            String unit = meter.getBaseUnit();
            assertTrue(unit == null || unit.equals("bytes"), meter.name());
        }
        assertEquals(OffHeapMeters.values().length,
                java.util.Arrays.stream(OffHeapMeters.values()).map(OffHeapMeters::getName).distinct().count(),
                "every meter has a name of its own");
    }

    @Test
    void limitAndPeakGaugesComeOnlyWithAnOwnRegion() {
        try (Region limited = Region.builder().name("limited").reserve(64 * MiB).limit(8 * MiB).build();
             Region open = Region.builder().name("open").reserve(64 * MiB).build();
             BumpArena carved = BumpArena.builder().name("carved").region(open).build()) {
            new OffHeapMetrics(limited, Tags.empty(), Duration.ZERO).bindTo(registry);
            new OffHeapMetrics(open, Tags.empty(), Duration.ZERO).bindTo(registry);
            new OffHeapMetrics(carved, Tags.empty(), Duration.ZERO).bindTo(registry);
            assertEquals(8.0 * MiB, read(MEMORY_LIMIT, "limited"));
            assertEquals(64.0 * MiB, read(MEMORY_LIMIT, "open"), "no limit: the reservation bounds it");
            assertEquals(ALLOCATOR_METERS, metersOf("carved"), "an allocator carved from a region has no limit of its own");

            Span a = limited.acquire(4 * MiB);
            Span b = limited.acquire(2 * MiB);
            assertEquals(6.0 * MiB, read(MEMORY_COMMITTED_PEAK, "limited"));
            limited.release(a);
            limited.release(b);
            limited.trim(); // committed falls; the peak stays
            assertEquals(0.0, read(MEMORY_COMMITTED, "limited"));
            assertEquals(6.0 * MiB, read(MEMORY_COMMITTED_PEAK, "limited"));
        }
    }

    @Test
    void anOffHeapPublishesItsRegionsLimitAndPeakAndMisuseByType() {
        try (OffHeap memory = OffHeap.builder().name("façade").reserve(1L << 30).limit(32 * MiB).build()) {
            new OffHeapMetrics(memory, Tags.empty(), Duration.ZERO).bindTo(registry);
            assertEquals(REGION_METERS + 3 * memory.snapshot().sizeClasses().size(), metersOf("façade"));
            assertEquals(32.0 * MiB, read(MEMORY_LIMIT, "façade"));
            long handle = memory.allocate(64);
            // The background committer commits ahead while this runs, and nothing decommits (the
            // decay is 10 s): the peak read between two reads of committed lies between them.
            long committedBefore = memory.region().committedBytes();
            double peak = read(MEMORY_COMMITTED_PEAK, "façade");
            long committedAfter = memory.region().committedBytes();
            assertTrue(committedBefore > 0);
            assertTrue(peak >= committedBefore && peak <= committedAfter,
                    "peak " + peak + " outside [" + committedBefore + ", " + committedAfter + "]");
            memory.free(handle);
            try {
                memory.free(handle);
            } catch (dev.offheap.allocator.DoubleFreeException expected) {
                // counted
            }
            assertEquals(1.0, readMisuse("façade", MisuseType.DOUBLE_FREE));
            assertEquals(read(DOUBLE_FREES, "façade"), readMisuse("façade", MisuseType.DOUBLE_FREE));
            assertEquals(0.0, readMisuse("façade", MisuseType.LEAK));
        }
    }
}
