package dev.offheap.allocator.jfr;

/**
 * One-line emitters for the library's JFR events, for allocators to call where the thing happens.
 * Each helper first asks whether a recording has the event enabled and returns at once if not: with
 * no recording running the cost is one check of a flag (the event object does not escape, so the JIT
 * removes its allocation). None of them throws.
 *
 * <p>Thread-safety: thread-safe; every call makes its own event object.
 *
 * <p>Events, all in JFR category {@value #CATEGORY}, named {@value #PREFIX}{@code <Type>}:
 * {@code AllocationFailure}, {@code Leak}, {@code DoubleFree}, {@code UseAfterFree},
 * {@code RegionCommit}, {@code RegionDecommit}, {@code RegionMaintenanceFailure}, {@code LargeAllocation}. All but
 * {@code LargeAllocation} are rare (failures, misuse, chunk-sized commits) and enabled by default, so
 * any recording (e.g. {@code -XX:StartFlightRecording}) captures them; {@code LargeAllocation} is
 * off unless a recording enables it ({@code RecordingStream.enable("dev.offheap.LargeAllocation")},
 * or {@code jfr configure +dev.offheap.LargeAllocation#enabled=true}).
 */
public final class OffHeapEvents {
    /** The JFR category of every event of this library. */
    public static final String CATEGORY = "offheap";
    /** Prefix of every event name. */
    public static final String PREFIX = "dev.offheap.";
    /**
     * Blocks of at least this many bytes (256 KiB) are recorded by {@link #emitLargeAllocation}:
     * they are rare enough that recording each costs nothing measurable, and they are the ones that
     * move committed memory. Smaller blocks are never recorded (the sampling is by size).
     */
    public static final long LARGE_BLOCK_BYTES = 256L << 10;

    private OffHeapEvents() {
    }

    /**
     * Records an allocation refused for lack of memory.
     *
     * @param allocator the allocator or region name
     * @param reason which bound was hit, as a short phrase
     * @param requestedBytes the bytes asked for
     * @param limitBytes the bound that was hit, in bytes
     * @param committedBytes bytes committed at the failure
     * @param usedBytes bytes in use at the failure
     */
    public static void emitAllocationFailure(String allocator, String reason, long requestedBytes,
                                             long limitBytes, long committedBytes, long usedBytes) {
        AllocationFailureEvent event = new AllocationFailureEvent();
        if (event.isEnabled()) {
            event.allocator = allocator;
            event.reason = reason;
            event.requestedBytes = requestedBytes;
            event.limitBytes = limitBytes;
            event.committedBytes = committedBytes;
            event.usedBytes = usedBytes;
            event.commit();
        }
    }

    /**
     * Records one leaked block.
     *
     * @param allocator the allocator name
     * @param bytes the block's size
     * @param allocationSite the stack of the allocation when tracking is on, else {@code null}
     */
    public static void emitLeak(String allocator, long bytes, String allocationSite) {
        LeakEvent event = new LeakEvent();
        if (event.isEnabled()) {
            event.allocator = allocator;
            event.bytes = bytes;
            event.allocationSite = allocationSite == null ? "" : allocationSite;
            event.commit();
        }
    }

    /**
     * Records one leaked block with the allocation site captured as a throwable when tracking is on.
     *
     * @param allocator the allocator name
     * @param bytes the block's size
     * @param allocationSite a throwable made at allocation, or {@code null} when tracking is off
     */
    public static void emitLeak(String allocator, long bytes, Throwable allocationSite) {
        LeakEvent event = new LeakEvent();
        if (event.isEnabled()) {
            emitLeak(allocator, bytes, allocationSite == null ? null : stackText(allocationSite));
        }
    }

    /**
     * Records a double free caught. The event carries the stack of the calling thread: the second free.
     *
     * @param allocator the allocator name
     * @param handle the handle or address passed to free
     * @param bytes the size of the block it named, 0 if unknown
     */
    public static void emitDoubleFree(String allocator, long handle, long bytes) {
        DoubleFreeEvent event = new DoubleFreeEvent();
        if (event.isEnabled()) {
            event.allocator = allocator;
            event.handle = handle;
            event.bytes = bytes;
            event.commit();
        }
    }

    /**
     * Records a use after free caught. The event carries the stack of the calling thread.
     *
     * @param allocator the allocator name
     * @param handle the stale handle or address
     * @param bytes the size of the block it named, 0 if unknown
     */
    public static void emitUseAfterFree(String allocator, long handle, long bytes) {
        UseAfterFreeEvent event = new UseAfterFreeEvent();
        if (event.isEnabled()) {
            event.allocator = allocator;
            event.handle = handle;
            event.bytes = bytes;
            event.commit();
        }
    }

    /**
     * Records chunks committed.
     *
     * @param region the region name
     * @param bytes the bytes committed by this call
     * @param committedBytes the region's committed bytes after it
     */
    public static void emitRegionCommit(String region, long bytes, long committedBytes) {
        RegionCommitEvent event = new RegionCommitEvent();
        if (event.isEnabled()) {
            event.allocator = region;
            event.bytes = bytes;
            event.committedBytes = committedBytes;
            event.commit();
        }
    }

    /**
     * Records chunks decommitted.
     *
     * @param region the region name
     * @param bytes the bytes decommitted by this call
     * @param committedBytes the region's committed bytes after it
     */
    public static void emitRegionDecommit(String region, long bytes, long committedBytes) {
        RegionDecommitEvent event = new RegionDecommitEvent();
        if (event.isEnabled()) {
            event.allocator = region;
            event.bytes = bytes;
            event.committedBytes = committedBytes;
            event.commit();
        }
    }

    /**
     * Records an allocation if it is large ({@code bytes >= }{@value #LARGE_BLOCK_BYTES}); does nothing
     * for smaller ones, so allocators may call it on every slow path without a check of their own.
     *
     * @param allocator the allocator name
     * @param bytes the block's size
     */
    public static void emitLargeAllocation(String allocator, long bytes) {
        if (bytes < LARGE_BLOCK_BYTES) {
            return;
        }
        LargeAllocationEvent event = new LargeAllocationEvent();
        if (event.isEnabled()) {
            event.allocator = allocator;
            event.bytes = bytes;
            event.commit();
        }
    }

    private static String stackText(Throwable site) {
        StringBuilder text = new StringBuilder();
        for (StackTraceElement frame : site.getStackTrace()) {
            text.append("at ").append(frame).append('\n');
        }
        return text.toString();
    }

    /**
     * Records a background pass of a region that failed (the region carried on).
     *
     * @param region the region name
     * @param task the pass: {@code decay}, {@code purge} or {@code commit-ahead}
     * @param failure what the pass threw
     */
    public static void emitRegionMaintenanceFailure(String region, String task, Throwable failure) {
        RegionMaintenanceFailureEvent event = new RegionMaintenanceFailureEvent();
        if (event.isEnabled()) {
            event.region = region;
            event.task = task;
            event.failure = failure.getClass().getName();
            event.message = String.valueOf(failure.getMessage());
            event.commit();
        }
    }
}
