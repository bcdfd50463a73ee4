package dev.offheap.allocator.metrics.micrometer;

import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.AllocatorSnapshot.SizeClassSnapshot;
import dev.offheap.allocator.metrics.MeteredAllocator;
import dev.offheap.allocator.metrics.micrometer.OffHeapMeters.MisuseType;
import dev.offheap.allocator.metrics.micrometer.OffHeapMeters.OffHeapTags;
import dev.offheap.allocator.region.Region;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToDoubleFunction;

/**
 * Publishes one allocator's {@link AllocatorSnapshot} to a Micrometer registry: gauges for memory
 * and fragmentation, function counters for allocations, frees, failures and misuse (also as one
 * counter {@code offheap.misuse} with a {@code type} tag), limit and peak gauges for allocators that
 * own their region, and per size class meters where the allocator has classes.
 * {@link OffHeapMeters} lists every meter.
 *
 * <p>Thread-safety: thread-safe; {@link #bindTo} may be called for several registries.
 *
 * {@snippet :
 * Region region = Region.builder().name("orders").build();
 * new OffHeapMetrics(region, Tags.of("service", "matching")).bindTo(registry);
 * }
 *
 * <h2>Tags</h2>
 * Every meter carries {@code name} (the allocator's name) and {@code kind} (its kind), plus the
 * extra tags given here. Two allocators bound to one registry keep separate meters as long as their
 * names (or kinds) differ; binding a second allocator with the same name and kind replaces the first
 * one's meters, as re-binding after a restart of a component should.
 *
 * <h2>Reachability and close</h2>
 * Neither this binder nor its meters keep the allocator reachable: the binder holds it weakly and
 * the meters are registered over a weak reference (Micrometer's default for gauges and function
 * counters). While the allocator is closed but not yet collected, its meters read what its snapshot
 * says after close: memory gauges 0, counters their final values. Once it is collected, gauges read
 * {@code NaN} and counters keep their last value, which is Micrometer's behaviour for weakly held
 * objects; {@link #unbindFrom(MeterRegistry)} removes the meters outright.
 *
 * <h2>Cost of a scrape</h2>
 * All meters of one binding read one cached snapshot, taken afresh when the cached one is older
 * than the time to live (default {@link #DEFAULT_SNAPSHOT_TTL}): a scrape takes one snapshot, not
 * one per meter.
 */
@SuppressWarnings("exports") // Micrometer types in the API; Micrometer is optional, so not transitive
public final class OffHeapMetrics implements MeterBinder {
    /**
     * How long one snapshot serves all meters by default: 100 ms, far longer than the reads of one
     * scrape take, far shorter than any scrape period, so every scrape sees a fresh snapshot.
     */
    public static final Duration DEFAULT_SNAPSHOT_TTL = Duration.ofMillis(100);

    private final WeakReference<MeteredAllocator> allocator;
    private final String name;
    private final String kind;
    private final Tags tags;
    private final SnapshotCache cache;
    private final List<Meter.Id> registered = new CopyOnWriteArrayList<>();

    /**
     * Binds with no extra tags and the default snapshot time to live.
     *
     * @param allocator the allocator to publish
     * @throws NullPointerException if {@code allocator} is null
     */
    public OffHeapMetrics(MeteredAllocator allocator) {
        this(allocator, Tags.empty());
    }

    /**
     * Binds with extra tags and the default snapshot time to live.
     *
     * @param allocator the allocator to publish
     * @param tags tags added to every meter
     * @throws NullPointerException if an argument is null
     */
    public OffHeapMetrics(MeteredAllocator allocator, Iterable<Tag> tags) {
        this(allocator, tags, DEFAULT_SNAPSHOT_TTL);
    }

    /**
     * Binds with extra tags and a snapshot time to live.
     *
     * @param allocator the allocator to publish; its name and kind are read once, now
     * @param tags tags added to every meter
     * @param snapshotTtl how long one snapshot serves all meters; {@link Duration#ZERO} takes one per read
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code snapshotTtl} is negative
     */
    public OffHeapMetrics(MeteredAllocator allocator, Iterable<Tag> tags, Duration snapshotTtl) {
        Objects.requireNonNull(allocator, "allocator");
        Objects.requireNonNull(tags, "tags");
        if (snapshotTtl.isNegative()) {
            throw new IllegalArgumentException("snapshotTtl must not be negative: snapshotTtl=" + snapshotTtl);
        }
        AllocatorSnapshot first = allocator.snapshot();
        this.allocator = new WeakReference<>(allocator);
        this.name = first.name();
        this.kind = first.kind();
        this.tags = Tags.of(tags);
        this.cache = new SnapshotCache(snapshotTtl.toNanos(), System::nanoTime);
    }

    /**
     * Registers every meter of {@link OffHeapMeters} for the allocator, replacing meters of the same
     * name and tags. Size-class meters are registered for the classes the allocator has now. Does
     * nothing if the allocator has been collected.
     *
     * @param registry the registry
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        MeteredAllocator target = allocator.get();
        if (target == null) {
            return;
        }
        Tags common = Tags.of(OffHeapTags.NAME.asString(), name, OffHeapTags.KIND.asString(), kind).and(tags);
        List<Meter.Id> ids = new ArrayList<>();
        for (OffHeapMeters meter : OffHeapMeters.values()) {
            if (meter.isPerAllocator()) {
                ids.add(register(registry, meter, target, common, a -> meter.read(cache.get(a))));
            } else if (meter.isPerMisuseType()) {
                for (MisuseType type : MisuseType.values()) {
                    Tags typeTags = common.and(OffHeapTags.TYPE.asString(), type.tagValue());
                    ids.add(register(registry, meter, target, typeTags, a -> type.read(cache.get(a))));
                }
            } else if (meter.isPerRegion() && ownRegionOf(target) != null) {
                ids.add(register(registry, meter, target, common, a -> meter.read(ownRegionOf(a))));
            }
        }
        // Not through the cache: the first scrape must not see figures from bind time.
        for (SizeClassSnapshot sizeClass : target.snapshot().sizeClasses()) {
            long blockBytes = sizeClass.blockBytes();
            Tags classTags = common.and(OffHeapTags.SIZE_CLASS.asString(), Long.toString(blockBytes));
            for (OffHeapMeters meter : OffHeapMeters.values()) {
                if (meter.isPerSizeClass()) {
                    ids.add(register(registry, meter, target, classTags, a -> meter.read(cache.get(a), blockBytes)));
                }
            }
        }
        registered.addAll(ids);
    }

    /** {@return the region {@code allocator} owns (a region itself, or an OffHeap's), else null} */
    private static Region ownRegionOf(MeteredAllocator allocator) {
        if (allocator instanceof Region region) {
            return region;
        }
        return allocator instanceof OffHeap memory ? memory.region() : null;
    }

    /**
     * Removes from {@code registry} every meter this binder registered there.
     *
     * @param registry a registry this binder was bound to
     */
    public void unbindFrom(MeterRegistry registry) {
        for (Meter.Id id : registered) {
            registry.remove(id);
        }
    }

    /**
     * Registers one meter over a weak reference to the allocator. The function must not capture the
     * allocator: it gets it from Micrometer's weak reference on every read.
     */
    private static Meter.Id register(MeterRegistry registry, OffHeapMeters meter, MeteredAllocator target,
                                     Tags meterTags, ToDoubleFunction<MeteredAllocator> read) {
        registry.find(meter.getName()).tags(meterTags).meters().stream()
                .filter(existing -> existing.getId().getTags().size() == meterTags.stream().count())
                .forEach(registry::remove); // a same-named allocator bound before: replace its meter
        Meter registeredMeter = switch (meter.getType()) {
            case GAUGE -> Gauge.builder(meter.getName(), target, read)
                    .description(meter.getDescription())
                    .baseUnit(meter.getBaseUnit())
                    .tags(meterTags)
                    .register(registry);
            case COUNTER -> FunctionCounter.builder(meter.getName(), target, read)
                    .description(meter.getDescription())
                    .baseUnit(meter.getBaseUnit())
                    .tags(meterTags)
                    .register(registry);
            default -> throw new AssertionError("no registration for meter type: type=" + meter.getType());
        };
        return registeredMeter.getId();
    }

    @Override
    public String toString() {
        return "OffHeapMetrics[name=" + name + ", kind=" + kind + ", tags=" + tags + "]";
    }
}
