package dev.offheap.allocator.metrics;

import java.util.List;

/**
 * What one allocator reports at one instant: bytes in bytes, counts since it was made.
 * Counters are read without stopping writers, so fields may be a few operations apart from each
 * other; each field on its own is exact at the moment it was read.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name the allocator's name (a metrics tag)
 * @param kind what it is: {@code bump}, {@code slab}, {@code free-list}, {@code large}, {@code offheap}
 * @param reservedBytes address space reserved for it
 * @param committedBytes memory committed for it (resident or about to be)
 * @param usedBytes bytes in live blocks, as the allocator rounds them
 * @param liveBlocks blocks allocated and not freed
 * @param allocations blocks allocated since creation
 * @param frees blocks freed since creation
 * @param remoteFrees frees made by a thread other than the block's owning cache
 * @param failedAllocations allocations refused for lack of memory or over the limit
 * @param doubleFrees double frees caught
 * @param useAfterFrees uses after free caught (stale handles, poison changed)
 * @param corruptions canaries found overwritten
 * @param leaks blocks reported leaked (still owned at close, or unreachable handles)
 * @param decommittedBytes bytes given back to the OS since creation
 * @param sizeClasses per size class figures; empty where the allocator has none
 * @param commitsOnCaller acquires of a region that waited for a commit on the allocating thread
 *        (their own, or the rest of the background committer's chunk in flight) because the
 *        committer had not got the memory ready (kind {@code region} with commit ahead on; 0
 *        otherwise): published as {@code offheap.commit.on.caller}
 * @param commitOnCallerBytes the bytes of those commits
 * @param maintenanceFailures background passes (decay, purge, commit ahead) of the region that
 *        failed and were reported (logger, JFR {@code dev.offheap.RegionMaintenanceFailure}); the
 *        region carried on (kind {@code region}; 0 for other kinds)
 * @param metadataHeapBytes the Java heap the allocator's own metadata holds, by its own estimate
 *        (object sizes with compressed references; 0 where the allocator does not count it)
 * @param metadataOffHeapBytes bytes the allocator maps for its metadata only, away from user
 *        blocks (0 where it keeps none): published as {@code offheap.metadata.offheap}, the heap
 *        part as {@code offheap.metadata.heap}
 * @param threadCaches thread caches the allocator holds (kinds {@code slab} and {@code offheap}; 0
 *        for others): one per platform thread that allocated, plus the pooled ones virtual threads
 *        borrow; published as {@code offheap.thread.caches}
 */
public record AllocatorSnapshot(String name, String kind, long reservedBytes, long committedBytes,
                                long usedBytes, long liveBlocks, long allocations, long frees,
                                long remoteFrees, long failedAllocations, long doubleFrees,
                                long useAfterFrees, long corruptions, long leaks, long decommittedBytes,
                                List<SizeClassSnapshot> sizeClasses, long commitsOnCaller,
                                long commitOnCallerBytes, long maintenanceFailures,
                                long metadataHeapBytes, long metadataOffHeapBytes, long threadCaches) {

    /** Copies the list so the record stays immutable. */
    public AllocatorSnapshot {
        sizeClasses = List.copyOf(sizeClasses);
    }

    /** A snapshot with no thread caches: {@code threadCaches} reads 0. */
    public AllocatorSnapshot(String name, String kind, long reservedBytes, long committedBytes,
                             long usedBytes, long liveBlocks, long allocations, long frees,
                             long remoteFrees, long failedAllocations, long doubleFrees,
                             long useAfterFrees, long corruptions, long leaks, long decommittedBytes,
                             List<SizeClassSnapshot> sizeClasses, long commitsOnCaller,
                             long commitOnCallerBytes, long maintenanceFailures,
                             long metadataHeapBytes, long metadataOffHeapBytes) {
        this(name, kind, reservedBytes, committedBytes, usedBytes, liveBlocks, allocations, frees, remoteFrees,
                failedAllocations, doubleFrees, useAfterFrees, corruptions, leaks, decommittedBytes, sizeClasses,
                commitsOnCaller, commitOnCallerBytes, maintenanceFailures, metadataHeapBytes, metadataOffHeapBytes, 0);
    }

    /** A snapshot with no metadata figures: {@code metadataHeapBytes} and {@code metadataOffHeapBytes} read 0. */
    public AllocatorSnapshot(String name, String kind, long reservedBytes, long committedBytes,
                             long usedBytes, long liveBlocks, long allocations, long frees,
                             long remoteFrees, long failedAllocations, long doubleFrees,
                             long useAfterFrees, long corruptions, long leaks, long decommittedBytes,
                             List<SizeClassSnapshot> sizeClasses, long commitsOnCaller,
                             long commitOnCallerBytes, long maintenanceFailures) {
        this(name, kind, reservedBytes, committedBytes, usedBytes, liveBlocks, allocations, frees, remoteFrees,
                failedAllocations, doubleFrees, useAfterFrees, corruptions, leaks, decommittedBytes, sizeClasses,
                commitsOnCaller, commitOnCallerBytes, maintenanceFailures, 0, 0);
    }

    /**
     * A snapshot of an allocator that owns no region's background work: {@code commitsOnCaller},
     * {@code commitOnCallerBytes}, {@code maintenanceFailures} and the metadata figures read 0.
     */
    public AllocatorSnapshot(String name, String kind, long reservedBytes, long committedBytes,
                             long usedBytes, long liveBlocks, long allocations, long frees,
                             long remoteFrees, long failedAllocations, long doubleFrees,
                             long useAfterFrees, long corruptions, long leaks, long decommittedBytes,
                             List<SizeClassSnapshot> sizeClasses) {
        this(name, kind, reservedBytes, committedBytes, usedBytes, liveBlocks, allocations, frees, remoteFrees,
                failedAllocations, doubleFrees, useAfterFrees, corruptions, leaks, decommittedBytes, sizeClasses,
                0, 0, 0, 0, 0);
    }

    /** {@return committed bytes that hold no live block: {@code committed - used}, never negative} */
    public long fragmentationBytes() {
        return Math.max(0, committedBytes - usedBytes);
    }

    /** {@return {@link #fragmentationBytes()} as a share of committed bytes, 0 when nothing is committed} */
    public double fragmentationRatio() {
        return committedBytes == 0 ? 0.0 : (double) fragmentationBytes() / committedBytes;
    }

    /**
     * One size class of a slab allocator.
     *
     * @param blockBytes the size of every block in the class
     * @param liveBlocks blocks of the class allocated and not freed
     * @param capacityBlocks blocks the class's committed pages can hold
     * @param allocations blocks of the class allocated since creation
     */
    public record SizeClassSnapshot(long blockBytes, long liveBlocks, long capacityBlocks, long allocations) {
    }
}
