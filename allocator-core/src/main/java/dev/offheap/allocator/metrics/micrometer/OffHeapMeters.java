package dev.offheap.allocator.metrics.micrometer;

import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.AllocatorSnapshot.SizeClassSnapshot;
import dev.offheap.allocator.region.Region;
import io.micrometer.common.docs.KeyName;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.docs.MeterDocumentation;

import java.util.function.ToDoubleFunction;

/**
 * Every meter {@link OffHeapMetrics} registers: name, type, base unit, tag keys, description, and
 * the snapshot field it reads. The binder registers exactly these, so this list is the truth.
 *
 * <p>Names follow Micrometer's conventions (lowercase, dot-separated, base units); a Prometheus
 * registry renders {@code offheap.memory.used} (bytes) as {@code offheap_memory_used_bytes} and the
 * counter {@code offheap.allocations} as {@code offheap_allocations_total}. Counts of blocks and
 * events have no unit, so their Prometheus names carry no unit suffix.
 *
 * <p>Thread-safety: immutable.
 */
@SuppressWarnings("exports") // Micrometer types in the API; Micrometer is optional, so not transitive
public enum OffHeapMeters implements MeterDocumentation {
    /** Address space reserved, in bytes. */
    MEMORY_RESERVED("offheap.memory.reserved", Meter.Type.GAUGE, BaseUnits.BYTES,
            "Address space reserved by the allocator (costs no memory until committed)",
            AllocatorSnapshot::reservedBytes),
    /** Memory committed, in bytes. */
    MEMORY_COMMITTED("offheap.memory.committed", Meter.Type.GAUGE, BaseUnits.BYTES,
            "Memory committed for the allocator: resident or about to be",
            AllocatorSnapshot::committedBytes),
    /** Bytes in live blocks. */
    MEMORY_USED("offheap.memory.used", Meter.Type.GAUGE, BaseUnits.BYTES,
            "Bytes in live blocks, as the allocator rounds them",
            AllocatorSnapshot::usedBytes),
    /** Blocks allocated and not freed. */
    BLOCKS_LIVE("offheap.blocks.live", Meter.Type.GAUGE, null,
            "Blocks allocated and not freed",
            AllocatorSnapshot::liveBlocks),
    /** Committed bytes that hold no live block. */
    FRAGMENTATION("offheap.fragmentation", Meter.Type.GAUGE, BaseUnits.BYTES,
            "Committed bytes that hold no live block (committed - used)",
            AllocatorSnapshot::fragmentationBytes),
    /** Fragmentation as a share of committed bytes. */
    FRAGMENTATION_RATIO("offheap.fragmentation.ratio", Meter.Type.GAUGE, null,
            "Committed bytes that hold no live block, as a share of committed bytes (0 when nothing is committed)",
            AllocatorSnapshot::fragmentationRatio),
    /** Blocks allocated since creation. */
    ALLOCATIONS("offheap.allocations", Meter.Type.COUNTER, null,
            "Blocks allocated",
            AllocatorSnapshot::allocations),
    /** Blocks freed since creation. */
    FREES("offheap.frees", Meter.Type.COUNTER, null,
            "Blocks freed",
            AllocatorSnapshot::frees),
    /** Allocations refused for lack of memory or over the limit. */
    ALLOCATIONS_FAILED("offheap.allocations.failed", Meter.Type.COUNTER, null,
            "Allocations refused: reservation exhausted or limit on committed bytes reached",
            AllocatorSnapshot::failedAllocations),
    /** Frees made by a thread other than the block's owning cache. */
    FREES_REMOTE("offheap.frees.remote", Meter.Type.COUNTER, null,
            "Blocks freed by a thread other than the one whose cache owns them",
            AllocatorSnapshot::remoteFrees),
    /** Blocks reported leaked. */
    LEAKS("offheap.leaks", Meter.Type.COUNTER, null,
            "Blocks reported leaked: still owned at close, or their handle became unreachable",
            AllocatorSnapshot::leaks),
    /** Double frees caught. */
    DOUBLE_FREES("offheap.double.frees", Meter.Type.COUNTER, null,
            "Double frees caught and refused",
            AllocatorSnapshot::doubleFrees),
    /** Uses after free caught. */
    USE_AFTER_FREES("offheap.use.after.frees", Meter.Type.COUNTER, null,
            "Uses after free caught: stale handles, poisoned memory found changed",
            AllocatorSnapshot::useAfterFrees),
    /** Canaries found overwritten. */
    CORRUPTIONS("offheap.corruptions", Meter.Type.COUNTER, null,
            "Block canaries found overwritten (checked mode)",
            AllocatorSnapshot::corruptions),
    /** Bytes given back to the OS. */
    MEMORY_DECOMMITTED("offheap.memory.decommitted", Meter.Type.COUNTER, BaseUnits.BYTES,
            "Bytes given back to the OS",
            AllocatorSnapshot::decommittedBytes),
    /** Acquires that waited for a commit on the allocating thread (commit ahead had not kept up). */
    COMMITS_ON_CALLER("offheap.commit.on.caller", Meter.Type.COUNTER, null,
            "Acquires that waited for a commit on the allocating thread: the background committer had not got the memory ready",
            AllocatorSnapshot::commitsOnCaller),
    /** Background passes of the region (decay, purge, commit ahead) that failed and were reported. */
    MAINTENANCE_FAILURES("offheap.maintenance.failures", Meter.Type.COUNTER, null,
            "Background passes (decay, purge, commit ahead) that failed; the region carried on",
            AllocatorSnapshot::maintenanceFailures),
    /** Java heap held by the allocator's metadata, by its own estimate. */
    METADATA_HEAP("offheap.metadata.heap", Meter.Type.GAUGE, BaseUnits.BYTES,
            "Java heap held by the allocator's own metadata (its estimate from object sizes)",
            AllocatorSnapshot::metadataHeapBytes),
    /** Bytes mapped for metadata only, away from user blocks. */
    METADATA_OFFHEAP("offheap.metadata.offheap", Meter.Type.GAUGE, BaseUnits.BYTES,
            "Bytes the allocator maps for its metadata only, away from user blocks",
            AllocatorSnapshot::metadataOffHeapBytes),
    /** Thread caches the allocator holds. */
    THREAD_CACHES("offheap.thread.caches", Meter.Type.GAUGE, null,
            "Thread caches the allocator holds: one per platform thread that allocated, plus the pool virtual threads borrow",
            AllocatorSnapshot::threadCaches),
    /** Live blocks of one size class. */
    SIZE_CLASS_BLOCKS_LIVE("offheap.size.class.blocks.live", Meter.Type.GAUGE, null,
            "Blocks of the size class allocated and not freed",
            null, SizeClassSnapshot::liveBlocks),
    /** Capacity of one size class's committed pages, in blocks. */
    SIZE_CLASS_BLOCKS_CAPACITY("offheap.size.class.blocks.capacity", Meter.Type.GAUGE, null,
            "Blocks the size class's committed pages can hold",
            null, SizeClassSnapshot::capacityBlocks),
    /** Blocks of one size class allocated since creation. */
    SIZE_CLASS_ALLOCATIONS("offheap.size.class.allocations", Meter.Type.COUNTER, null,
            "Blocks of the size class allocated",
            null, SizeClassSnapshot::allocations),
    /**
     * Misuse caught, one counter per {@link MisuseType} (tag {@code type}): the same counts as
     * {@link #LEAKS}, {@link #DOUBLE_FREES}, {@link #USE_AFTER_FREES} and {@link #CORRUPTIONS}, under
     * one name so that {@code sum(increase(offheap_misuse_total[5m]))} adds them up.
     */
    MISUSE("offheap.misuse", Meter.Type.COUNTER, null,
            "Misuse caught, by type: leak, double_free, use_after_free, corruption",
            Registration.PER_MISUSE_TYPE, null),
    /**
     * The most bytes the allocator's own region may commit: its limit, or its reservation when it
     * has no limit. Registered for allocators that own a region ({@code region}, {@code offheap}).
     */
    MEMORY_LIMIT("offheap.memory.limit", Meter.Type.GAUGE, BaseUnits.BYTES,
            "The most bytes the region may commit: its limit, or its reservation when it has none",
            Registration.PER_REGION, region -> region.limitBytes() == Long.MAX_VALUE
                    ? region.reservedBytes() : region.limitBytes()),
    /** The most bytes committed at once since creation; for allocators that own a region. */
    MEMORY_COMMITTED_PEAK("offheap.memory.committed.peak", Meter.Type.GAUGE, BaseUnits.BYTES,
            "The most bytes the region has had committed at once since it was made",
            Registration.PER_REGION, Region::peakCommittedBytes);

    /** How many meters of one constant a binding registers, and with which extra tag. */
    enum Registration {
        /** One per allocator. */
        PER_ALLOCATOR,
        /** One per size class, tagged {@code size.class}. */
        PER_SIZE_CLASS,
        /** One per {@link MisuseType}, tagged {@code type}. */
        PER_MISUSE_TYPE,
        /** One per allocator that owns its region ({@code region}, {@code offheap}); read from the region. */
        PER_REGION
    }

    /**
     * The kinds of misuse {@link #MISUSE} counts, as the values of its {@code type} tag.
     *
     * <p>Thread-safety: immutable.
     */
    public enum MisuseType {
        /** Blocks reported leaked (as {@link #LEAKS}). */
        LEAK("leak", AllocatorSnapshot::leaks),
        /** Double frees caught (as {@link #DOUBLE_FREES}). */
        DOUBLE_FREE("double_free", AllocatorSnapshot::doubleFrees),
        /** Uses after free caught (as {@link #USE_AFTER_FREES}). */
        USE_AFTER_FREE("use_after_free", AllocatorSnapshot::useAfterFrees),
        /** Canaries found overwritten (as {@link #CORRUPTIONS}). */
        CORRUPTION("corruption", AllocatorSnapshot::corruptions);

        private final String tagValue;
        private final ToDoubleFunction<AllocatorSnapshot> field;

        MisuseType(String tagValue, ToDoubleFunction<AllocatorSnapshot> field) {
            this.tagValue = tagValue;
            this.field = field;
        }

        /** {@return the value of the {@code type} tag} */
        public String tagValue() {
            return tagValue;
        }

        double read(AllocatorSnapshot snapshot) {
            return field.applyAsDouble(snapshot);
        }
    }

    private final String meterName;
    private final Meter.Type type;
    private final String baseUnit;
    private final String description;
    private final ToDoubleFunction<AllocatorSnapshot> allocatorField;
    private final ToDoubleFunction<SizeClassSnapshot> sizeClassField;
    private final Registration registration;
    private final ToDoubleFunction<Region> regionField;

    OffHeapMeters(String meterName, Meter.Type type, String baseUnit, String description,
                  ToDoubleFunction<AllocatorSnapshot> allocatorField) {
        this(meterName, type, baseUnit, description, allocatorField, null);
    }

    OffHeapMeters(String meterName, Meter.Type type, String baseUnit, String description,
                  Registration registration, ToDoubleFunction<Region> regionField) {
        this.meterName = meterName;
        this.type = type;
        this.baseUnit = baseUnit;
        this.description = description;
        this.allocatorField = null;
        this.sizeClassField = null;
        this.registration = registration;
        this.regionField = regionField;
    }

    OffHeapMeters(String meterName, Meter.Type type, String baseUnit, String description,
                  ToDoubleFunction<AllocatorSnapshot> allocatorField, ToDoubleFunction<SizeClassSnapshot> sizeClassField) {
        this.meterName = meterName;
        this.type = type;
        this.baseUnit = baseUnit;
        this.description = description;
        this.allocatorField = allocatorField;
        this.sizeClassField = sizeClassField;
        this.registration = sizeClassField != null ? Registration.PER_SIZE_CLASS : Registration.PER_ALLOCATOR;
        this.regionField = null;
    }

    @Override
    public String getName() {
        return meterName;
    }

    @Override
    public Meter.Type getType() {
        return type;
    }

    @Override
    public String getBaseUnit() {
        return baseUnit;
    }

    @Override
    public KeyName[] getKeyNames() {
        return switch (registration) {
            case PER_SIZE_CLASS -> new KeyName[] {OffHeapTags.NAME, OffHeapTags.KIND, OffHeapTags.SIZE_CLASS};
            case PER_MISUSE_TYPE -> new KeyName[] {OffHeapTags.NAME, OffHeapTags.KIND, OffHeapTags.TYPE};
            default -> new KeyName[] {OffHeapTags.NAME, OffHeapTags.KIND};
        };
    }

    /** {@return the meter's description, as registered} */
    public String getDescription() {
        return description;
    }

    /** {@return whether one meter is registered per size class, tagged {@code size.class}} */
    public boolean isPerSizeClass() {
        return registration == Registration.PER_SIZE_CLASS;
    }

    /** {@return whether one meter is registered per {@link MisuseType}, tagged {@code type}} */
    public boolean isPerMisuseType() {
        return registration == Registration.PER_MISUSE_TYPE;
    }

    /**
     * {@return whether the meter is registered only for allocators that own their region (kinds
     * {@code region} and {@code offheap}), read from that region}
     */
    public boolean isPerRegion() {
        return registration == Registration.PER_REGION;
    }

    /** {@return whether one meter is registered per allocator, read from its snapshot} */
    boolean isPerAllocator() {
        return registration == Registration.PER_ALLOCATOR;
    }

    /** Reads a region meter's value. */
    double read(Region region) {
        return regionField.applyAsDouble(region);
    }

    /** Reads an allocator-wide meter's value. */
    double read(AllocatorSnapshot snapshot) {
        return allocatorField.applyAsDouble(snapshot);
    }

    /** Reads a per-size-class meter's value; 0 if the class is gone from the snapshot. */
    double read(AllocatorSnapshot snapshot, long blockBytes) {
        for (SizeClassSnapshot sizeClass : snapshot.sizeClasses()) {
            if (sizeClass.blockBytes() == blockBytes) {
                return sizeClassField.applyAsDouble(sizeClass);
            }
        }
        return 0;
    }

    /**
     * The tag keys of the meters.
     *
     * <p>Thread-safety: immutable.
     */
    public enum OffHeapTags implements KeyName {
        /** The allocator's name, as it reports it in its snapshot. */
        NAME("name"),
        /** The allocator's kind: {@code region}, {@code bump}, {@code slab}, {@code free-list}, ... */
        KIND("kind"),
        /** The block size of a size class, in bytes, as a decimal string (size-class meters only). */
        SIZE_CLASS("size.class"),
        /** The kind of misuse, a {@link MisuseType#tagValue()} ({@link #MISUSE} only). */
        TYPE("type");

        private final String key;

        OffHeapTags(String key) {
            this.key = key;
        }

        @Override
        public String asString() {
            return key;
        }
    }
}
