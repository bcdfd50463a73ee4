package dev.offheap.allocator.facade;

import dev.offheap.allocator.AllocationListener;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.LeakException;
import dev.offheap.allocator.LeakListener;
import dev.offheap.allocator.LeakPolicy;
import dev.offheap.allocator.MisuseListener;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.budget.BudgetedAllocator;
import dev.offheap.allocator.freelist.TlsfAllocator;
import dev.offheap.allocator.internal.Checks;
import dev.offheap.allocator.large.LargeBlockAllocator;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.MeteredAllocator;
import dev.offheap.allocator.ownership.BlockAllocator;
import dev.offheap.allocator.ownership.LeakDetection;
import dev.offheap.allocator.ownership.MemoryBlock;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.slab.SlabAllocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The allocator most services use: one reserved {@link Region} and one allocator per size range
 * over it, behind one {@link HandleAllocator}.
 * <ul>
 *   <li>up to 64 KiB: the {@link SlabAllocator} (size classes, per-thread pages, no lock on the
 *       common path);</li>
 *   <li>up to {@link TlsfAllocator#maxBlockBytes()} (1 MiB with the default 2 MiB spans): the
 *       {@link TlsfAllocator} (two-level segregated fit, O(1) allocate and free);</li>
 *   <li>above: the {@link LargeBlockAllocator} (a span of its own per block, given back on free).</li>
 * </ul>
 * A free, or any use of a handle, is routed by the handle's kind ({@link Handles#kind}) in O(1).
 * Object handles ({@link MemoryBlock}) with leak detection come from {@link #allocateBlock(long)};
 * budgets for tenants or subsystems from {@link #newChild(String, long)}.
 *
 * <p>Thread-safety: thread-safe; the threading of each size range is that of its allocator.
 *
 * <h2>Leaks and hooks</h2>
 * Every size range reports its blocks still live at {@link #close()} through the one
 * {@link Builder#leakListener(LeakListener) leak listener} (and the JFR leak event and the
 * {@code leaks} count), object handles ({@link MemoryBlock}) among them, so each leaked block is
 * reported at close once; an object handle found unreachable before is reported then too (its memory
 * was never freed) but counted once. {@link Builder#leakPolicy(LeakPolicy) LeakPolicy.THROW} makes
 * {@code close()} throw {@link LeakException} naming every leaked block, for test suites.
 * {@link Builder#allocationListener(AllocationListener)} hooks every allocation and free, and may
 * free memory and retry a refused allocation, as Arrow's {@code AllocationListener}.
 *
 * {@snippet :
 * try (OffHeap memory = OffHeap.builder().name("orders").limit(1L << 30).build()) {
 *     long handle = memory.allocate(200);                 // zero garbage
 *     memory.segment(handle).set(ValueLayout.JAVA_LONG, 0, 42L);
 *     memory.free(handle);
 *     try (MemoryBlock block = memory.allocateBlock(4096)) { // object handle, leak-checked
 *         block.segment().fill((byte) 1);
 *     }
 * }
 * }
 */
public final class OffHeap implements HandleAllocator, MeteredAllocator {
    private final String name;
    private final Region region;
    private final SlabAllocator slab;
    private final TlsfAllocator freeList;
    private final LargeBlockAllocator large;
    private final BlockAllocator blocks;
    private final long slabMax;
    private final long freeListMax;
    private final boolean zeroing;
    private final LeakListener leakListener;
    /** Null when none: allocate and free pay one null check. The user's listener, the ledger, or both. */
    private final AllocationListener hooks;
    /** Non-null under {@link LeakPolicy#THROW}: every live block, to name each leak at close. */
    private final LeakLedger ledger;
    private volatile boolean closed;

    private OffHeap(Builder b) {
        this.name = b.name;
        this.zeroing = b.zeroing;
        this.leakListener = b.leakListener;
        this.ledger = b.leakPolicy == LeakPolicy.THROW ? new LeakLedger(this, b.leakDetection == LeakDetection.PARANOID) : null;
        this.hooks = both(b.allocationListener, ledger);
        this.region = b.region.name(b.name).build();
        try {
            this.slab = SlabAllocator.builder().name(b.name + ".slab").region(region).zeroing(b.zeroing)
                    .checked(b.checked).trackAllocationSites(b.leakDetection == LeakDetection.PARANOID)
                    .threadCaches(b.threadCaches).pooledCaches(b.pooledCaches)
                    .leakListener(b.leakListener).build();
            this.freeList = TlsfAllocator.builder().name(b.name + ".free-list").region(region).zeroing(b.zeroing)
                    .checked(b.checked).leakListener(b.leakListener).build();
            this.large = LargeBlockAllocator.builder().name(b.name + ".large").region(region).zeroing(b.zeroing)
                    .checked(b.checked).leakListener(b.leakListener).build();
            // The ranges report every block still live at close, object handles among them: the
            // block allocator reports only those found unreachable, so each leak is reported once.
            this.blocks = BlockAllocator.over(this).leakDetection(b.leakDetection).leakListener(b.leakListener)
                    .allocatorReportsAtClose(true).build();
        } catch (RuntimeException e) {
            region.close();
            throw e;
        }
        // After a decay delay (on the region's daemon, off every allocate/free path): empty slab
        // pages and whole pages inside large free blocks stop costing resident memory.
        region.purgeOnDecay(this::purgeFreeSpace);
        this.slabMax = slab.maxRequestBytes();
        this.freeListMax = freeList.maxBlockBytes();
    }

    /**
     * {@return a builder: 64 GiB reserved, no limit, 10 s decay, zeroing, sampled leak detection,
     * unless system properties set other defaults ({@link OffHeapDefaults})}
     *
     * @throws IllegalArgumentException if a {@code dev.offheap.*} property has a bad value
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * {@return whether a block reads zero when handed out ({@link Builder#zeroing(boolean)})} Code
     * that keeps a freed block's memory for reuse on its own (a buffer pool) zeroes it too when
     * this is true, so the promise holds for what it hands out.
     */
    public boolean zeroing() {
        return zeroing;
    }

    /** {@return the region every size range takes its memory from} */
    public Region region() {
        return region;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if {@code byteSize} is not positive or exceeds the reservation
     */
    @Override
    public long allocate(long byteSize) {
        if (hooks != null) {
            return allocateListened(byteSize);
        }
        return route(byteSize);
    }

    /** Allocates in the range the size belongs to. */
    private long route(long byteSize) {
        Checks.checkPositive("byteSize", byteSize);
        if (byteSize <= slabMax) {
            return slab.allocate(byteSize);
        }
        if (byteSize <= freeListMax) {
            return freeList.allocate(byteSize);
        }
        return large.allocate(byteSize);
    }

    /** The allocation with the listener's hooks around it: the cold path of {@link #allocate(long)}. */
    private long allocateListened(long byteSize) {
        hooks.onPreAllocation(byteSize);
        for (int attempt = 0; ; attempt++) {
            long handle;
            try {
                handle = route(byteSize);
            } catch (OutOfOffHeapMemoryException refused) {
                if (attempt == AllocationListener.MAX_RETRIES || !hooks.onFailedAllocation(byteSize, refused)) {
                    throw refused;
                }
                continue;
            }
            try {
                hooks.onAllocation(handle, byteSize(handle));
            } catch (RuntimeException | Error listenerFailure) {
                allocatorOf(handle).free(handle); // no one has seen the block
                throw listenerFailure;
            }
            return handle;
        }
    }

    // Dispatch by the handle's kind straight to the final class of each range (not through the
    // HandleAllocator interface), so each call site stays monomorphic whatever ranges a service uses.

    @Override
    public void free(long handle) {
        if (hooks != null) {
            HandleAllocator owner = allocatorOf(handle);
            long bytes = owner.byteSize(handle); // a misuse throws here, before any hook
            owner.free(handle);
            hooks.onFree(handle, bytes);
            return;
        }
        switch (Handles.kind(handle)) {
            case Handles.KIND_SLAB -> slab.free(handle);
            case Handles.KIND_FREE_LIST -> freeList.free(handle);
            case Handles.KIND_LARGE -> large.free(handle);
            default -> throw foreign(handle);
        }
    }

    @Override
    public MemorySegment segment(long handle) {
        return switch (Handles.kind(handle)) {
            case Handles.KIND_SLAB -> slab.segment(handle);
            case Handles.KIND_FREE_LIST -> freeList.segment(handle);
            case Handles.KIND_LARGE -> large.segment(handle);
            default -> throw foreign(handle);
        };
    }

    @Override
    public long byteSize(long handle) {
        return switch (Handles.kind(handle)) {
            case Handles.KIND_SLAB -> slab.byteSize(handle);
            case Handles.KIND_FREE_LIST -> freeList.byteSize(handle);
            case Handles.KIND_LARGE -> large.byteSize(handle);
            default -> throw foreign(handle);
        };
    }

    // ------------------------------------------------------------------ the validated access path
    //
    // The recommended way to touch memory from hot paths: by handle, with the generation checked on
    // every access and the offset against the block's size, and no object made. Slab blocks take the
    // slab's own checked accessors; free-list and large blocks go through their segment for now.

    /**
     * Reads a {@code long} (native byte order, any alignment) at {@code offset} in the block,
     * checking the handle's generation and the offset on every call.
     *
     * <p>Thread-safety: as a plain field read; the caller orders it with the block's writers.
     *
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @return the value
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the 8 bytes are not all inside the block
     * @throws IllegalStateException if the allocator is closed
     */
    public long getLong(long handle, long offset) {
        return switch (Handles.kind(handle)) {
            case Handles.KIND_SLAB -> slab.getLong(handle, offset);
            case Handles.KIND_FREE_LIST -> freeList.getLong(handle, offset);
            case Handles.KIND_LARGE -> large.segment(handle).get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
            default -> throw foreign(handle);
        };
    }

    /**
     * Writes a {@code long} at {@code offset} in the block; the checks of {@link #getLong}.
     *
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @param value the value
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the 8 bytes are not all inside the block
     * @throws IllegalStateException if the allocator is closed
     */
    public void putLong(long handle, long offset, long value) {
        switch (Handles.kind(handle)) {
            case Handles.KIND_SLAB -> slab.putLong(handle, offset, value);
            case Handles.KIND_FREE_LIST -> freeList.putLong(handle, offset, value);
            case Handles.KIND_LARGE -> large.segment(handle).set(ValueLayout.JAVA_LONG_UNALIGNED, offset, value);
            default -> throw foreign(handle);
        }
    }

    /**
     * Reads an {@code int} at {@code offset} in the block; the checks of {@link #getLong}.
     *
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @return the value
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the 4 bytes are not all inside the block
     * @throws IllegalStateException if the allocator is closed
     */
    public int getInt(long handle, long offset) {
        return switch (Handles.kind(handle)) {
            case Handles.KIND_SLAB -> slab.getInt(handle, offset);
            case Handles.KIND_FREE_LIST -> freeList.getInt(handle, offset);
            case Handles.KIND_LARGE -> large.segment(handle).get(ValueLayout.JAVA_INT_UNALIGNED, offset);
            default -> throw foreign(handle);
        };
    }

    /**
     * Writes an {@code int} at {@code offset} in the block; the checks of {@link #getLong}.
     *
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @param value the value
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the 4 bytes are not all inside the block
     * @throws IllegalStateException if the allocator is closed
     */
    public void putInt(long handle, long offset, int value) {
        switch (Handles.kind(handle)) {
            case Handles.KIND_SLAB -> slab.putInt(handle, offset, value);
            case Handles.KIND_FREE_LIST -> freeList.putInt(handle, offset, value);
            case Handles.KIND_LARGE -> large.segment(handle).set(ValueLayout.JAVA_INT_UNALIGNED, offset, value);
            default -> throw foreign(handle);
        }
    }

    /**
     * Reads a byte at {@code offset} in the block; the checks of {@link #getLong}.
     *
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @return the value
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the byte is not inside the block
     * @throws IllegalStateException if the allocator is closed
     */
    public byte getByte(long handle, long offset) {
        return switch (Handles.kind(handle)) {
            case Handles.KIND_SLAB -> slab.getByte(handle, offset);
            case Handles.KIND_FREE_LIST -> freeList.getByte(handle, offset);
            case Handles.KIND_LARGE -> large.segment(handle).get(ValueLayout.JAVA_BYTE, offset);
            default -> throw foreign(handle);
        };
    }

    /**
     * Writes a byte at {@code offset} in the block; the checks of {@link #getLong}.
     *
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @param value the value
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the byte is not inside the block
     * @throws IllegalStateException if the allocator is closed
     */
    public void putByte(long handle, long offset, byte value) {
        switch (Handles.kind(handle)) {
            case Handles.KIND_SLAB -> slab.putByte(handle, offset, value);
            case Handles.KIND_FREE_LIST -> freeList.putByte(handle, offset, value);
            case Handles.KIND_LARGE -> large.segment(handle).set(ValueLayout.JAVA_BYTE, offset, value);
            default -> throw foreign(handle);
        }
    }

    /**
     * Copies {@code length} bytes of {@code source} from {@code sourceIndex} into the block at
     * {@code offset}; the checks of {@link #getLong}.
     *
     * @param source the array to copy from
     * @param sourceIndex the first byte of the array to copy
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @param length the bytes to copy
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the bytes are not all inside the block or the array
     * @throws IllegalStateException if the allocator is closed
     */
    public void copyFrom(byte[] source, int sourceIndex, long handle, long offset, int length) {
        switch (Handles.kind(handle)) {
            case Handles.KIND_SLAB -> slab.copyFrom(source, sourceIndex, handle, offset, length);
            case Handles.KIND_FREE_LIST -> MemorySegment.copy(source, sourceIndex, freeList.segment(handle),
                    ValueLayout.JAVA_BYTE, offset, length);
            case Handles.KIND_LARGE -> MemorySegment.copy(source, sourceIndex, large.segment(handle),
                    ValueLayout.JAVA_BYTE, offset, length);
            default -> throw foreign(handle);
        }
    }

    /**
     * Copies {@code length} bytes of the block from {@code offset} into {@code target} at
     * {@code targetIndex}; the checks of {@link #getLong}.
     *
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @param target the array to copy into
     * @param targetIndex the first byte of the array to write
     * @param length the bytes to copy
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the bytes are not all inside the block or the array
     * @throws IllegalStateException if the allocator is closed
     */
    public void copyTo(long handle, long offset, byte[] target, int targetIndex, int length) {
        switch (Handles.kind(handle)) {
            case Handles.KIND_SLAB -> slab.copyTo(handle, offset, target, targetIndex, length);
            case Handles.KIND_FREE_LIST -> MemorySegment.copy(freeList.segment(handle), ValueLayout.JAVA_BYTE,
                    offset, target, targetIndex, length);
            case Handles.KIND_LARGE -> MemorySegment.copy(large.segment(handle), ValueLayout.JAVA_BYTE,
                    offset, target, targetIndex, length);
            default -> throw foreign(handle);
        }
    }

    @Override
    public boolean isLive(long handle) {
        return switch (Handles.kind(handle)) {
            case Handles.KIND_SLAB -> slab.isLive(handle);
            case Handles.KIND_FREE_LIST -> freeList.isLive(handle);
            case Handles.KIND_LARGE -> large.isLive(handle);
            default -> false;
        };
    }

    /**
     * Resizes a block as {@code realloc} does: a free-list block grows or shrinks in place when it
     * can; otherwise a new block is allocated in the range the new size belongs to, the bytes both
     * sizes share are copied, and the old block is freed.
     *
     * @param handle a live handle
     * @param newByteSize the bytes wanted now, at least 1
     * @return the block's handle: {@code handle} if it stayed in place, else a new one ({@code handle} is dead)
     * @throws IllegalArgumentException if {@code newByteSize} is not positive
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws OutOfOffHeapMemoryException if the block must move and no memory is left; the old
     *         block is unchanged then
     */
    public long resize(long handle, long newByteSize) {
        Checks.checkPositive("newByteSize", newByteSize);
        HandleAllocator owner = allocatorOf(handle);
        long oldBytes = owner.byteSize(handle); // validates the handle before anything changes
        boolean staysInFreeList = owner == freeList && newByteSize > slabMax && newByteSize <= freeListMax;
        if (staysInFreeList) {
            long resized = freeList.resize(handle, newByteSize);
            if (hooks != null) { // in place or moved, the old block is gone and a new one is live
                hooks.onFree(handle, oldBytes);
                hooks.onAllocation(resized, freeList.byteSize(resized));
            }
            return resized;
        }
        if (owner == slab && newByteSize <= oldBytes) {
            return handle; // the slab block already holds it
        }
        long moved = allocate(newByteSize);
        MemorySegment.copy(owner.segment(handle), 0, segment(moved), 0, Math.min(oldBytes, newByteSize));
        free(handle);
        return moved;
    }

    /**
     * Allocates a block owned by an object handle, watched for leaks at the configured level.
     *
     * @param byteSize the bytes wanted, at least 1
     * @return the handle; close it to free the block
     * @throws IllegalArgumentException if {@code byteSize} is not positive
     * @throws OutOfOffHeapMemoryException if memory or the limit is exhausted
     */
    public MemoryBlock allocateBlock(long byteSize) {
        return blocks.allocate(byteSize);
    }

    /**
     * Makes a child with a budget of its own: it serves from this allocator, refuses beyond
     * {@code limitBytes} while this allocator and the other children carry on, and reports blocks
     * still live when it is closed.
     *
     * @param childName the child's name, for messages and metrics
     * @param limitBytes the child's budget in bytes
     * @return the child; close it before this allocator
     * @throws IllegalArgumentException if {@code limitBytes <= 0}
     */
    public BudgetedAllocator newChild(String childName, long limitBytes) {
        return new BudgetedAllocator(this, childName, limitBytes, leakListener, MisuseListener.NONE);
    }

    /**
     * Gives memory that holds no live block back to the OS now: wholly free free-list spans, then
     * every idle chunk of the region (decommitted), then the empty slab pages and the whole pages
     * inside free free-list blocks of spans still in use (purged: mapped, reading zero; see
     * {@link Region#purge}).
     *
     * @return the bytes the region decommitted plus the bytes purged
     */
    public long trim() {
        freeList.trim();
        large.trim();
        slab.trim(); // empty slab pages first, so a segment left with none goes back before region.trim
        long decommitted = region.trim();
        return decommitted + purgeFreeSpace();
    }

    private long purgeFreeSpace() {
        return slab.purgeEmptyPages() + freeList.purgeFreeBlocks();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Kind {@code offheap}: memory figures are the region's (reserved, committed) and the sum
     * of the size ranges' (used, live blocks), all 0 once closed; counters are summed; size classes
     * are the slab's; commits on the caller and maintenance failures are the region's; metadata bytes
     * are the ranges' summed; thread caches are the slab's. {@code leaks} counts each leaked block once: before close, the object handles
     * found unreachable; from close on, the blocks the ranges found still live (those among them).
     */
    @Override
    public AllocatorSnapshot snapshot() {
        boolean isClosed = closed; // read first: figures read after it are final if it is set
        AllocatorSnapshot s = slab.snapshot();
        AllocatorSnapshot f = freeList.snapshot();
        AllocatorSnapshot l = large.snapshot();
        AllocatorSnapshot r = region.snapshot();
        long rangeLeaks = s.leaks() + f.leaks() + l.leaks();
        return new AllocatorSnapshot(name, "offheap", isClosed ? 0 : region.reservedBytes(),
                isClosed ? 0 : region.committedBytes(),
                isClosed ? 0 : s.usedBytes() + f.usedBytes() + l.usedBytes(),
                isClosed ? 0 : s.liveBlocks() + f.liveBlocks() + l.liveBlocks(),
                s.allocations() + f.allocations() + l.allocations(), s.frees() + f.frees() + l.frees(),
                s.remoteFrees() + f.remoteFrees() + l.remoteFrees(),
                s.failedAllocations() + f.failedAllocations() + l.failedAllocations(),
                s.doubleFrees() + f.doubleFrees() + l.doubleFrees(),
                s.useAfterFrees() + f.useAfterFrees() + l.useAfterFrees(),
                s.corruptions() + f.corruptions() + l.corruptions(),
                Math.max(rangeLeaks, blocks.leaksReported()),
                region.decommittedBytesTotal(), s.sizeClasses(),
                r.commitsOnCaller(), r.commitOnCallerBytes(), r.maintenanceFailures(),
                s.metadataHeapBytes() + f.metadataHeapBytes() + l.metadataHeapBytes(),
                s.metadataOffHeapBytes() + f.metadataOffHeapBytes() + l.metadataOffHeapBytes(),
                s.threadCaches());
    }

    /**
     * Reports every block still live as a leak (once, through the leak listener), frees every
     * block, and unmaps the region: every segment handed out throws from now on. Idempotent; a
     * close the region refused (see {@link Region#close()}) is retried by the next call.
     *
     * @throws LeakException under {@link LeakPolicy#THROW}, if blocks were still live: thrown after
     *         everything was released and reported, naming every such block
     * @throws IllegalStateException if the region refused to close (a span in use by a native call);
     *         everything else is closed, and calling {@code close()} again retries the region
     */
    @Override
    public void close() {
        List<LeakException.Block> leaked;
        synchronized (this) {
            if (closed) {
                if (!region.isClosed()) {
                    region.close(); // an earlier close was refused: try again
                }
                return;
            }
            closed = true;
            leaked = ledger == null ? List.of() : ledger.outstanding();
            OpenArenas.closeAll(this); // first: arena segments are bound to their arena's scope only
            try {
                blocks.close();
            } finally {
                try {
                    slab.close();
                    freeList.close();
                    large.close();
                } finally {
                    region.close();
                }
            }
        }
        if (!leaked.isEmpty()) {
            throw new LeakException(name, leaked);
        }
    }

    /** {@return the name of the size range a handle belongs to, for leak reports} */
    String rangeName(long handle) {
        return switch (Handles.kind(handle)) {
            case Handles.KIND_SLAB -> slab.name();
            case Handles.KIND_FREE_LIST -> freeList.name();
            case Handles.KIND_LARGE -> large.name();
            default -> name;
        };
    }

    /** {@return a listener that calls {@code a} then {@code b}, either of which may be null; null if both are} */
    private static AllocationListener both(AllocationListener a, AllocationListener b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        return new AllocationListener() {
            @Override
            public void onPreAllocation(long byteSize) {
                a.onPreAllocation(byteSize);
                b.onPreAllocation(byteSize);
            }

            @Override
            public void onAllocation(long handle, long byteSize) {
                a.onAllocation(handle, byteSize); // the user's first: if it throws, the block is freed unrecorded
                b.onAllocation(handle, byteSize);
            }

            @Override
            public void onFree(long handle, long byteSize) {
                b.onFree(handle, byteSize);
                a.onFree(handle, byteSize);
            }

            @Override
            public boolean onFailedAllocation(long byteSize, OutOfOffHeapMemoryException failure) {
                return a.onFailedAllocation(byteSize, failure);
            }
        };
    }

    private HandleAllocator allocatorOf(long handle) {
        return switch (Handles.kind(handle)) {
            case Handles.KIND_SLAB -> slab;
            case Handles.KIND_FREE_LIST -> freeList;
            case Handles.KIND_LARGE -> large;
            default -> throw foreign(handle);
        };
    }

    private ForeignPointerException foreign(long handle) {
        return new ForeignPointerException("handle was not made by this allocator: handle="
                + Handles.toString(handle) + ", allocator=" + name);
    }

    @Override
    public String toString() {
        return "OffHeap[name=" + name + ", " + region + "]";
    }

    /**
     * Every setting of an {@link OffHeap}, each with a default a service never has to think about.
     *
     * <p>Thread-safety: not thread-safe; build on one thread.
     */
    public static final class Builder {
        private String name = "offheap";
        /** Reservation, limit, decay and huge pages: the region's own settings and checks. */
        private final Region.Builder region = OffHeapDefaults.regionBuilder();
        private boolean zeroing = OffHeapDefaults.zeroing();
        private boolean checked = OffHeapDefaults.checked();
        private boolean threadCaches = OffHeapDefaults.threadCaches();
        private int pooledCaches = OffHeapDefaults.pooledCaches();
        private LeakDetection leakDetection = OffHeapDefaults.leakDetection();
        private LeakListener leakListener = LeakListener.logging();
        private LeakPolicy leakPolicy = LeakPolicy.REPORT;
        private AllocationListener allocationListener;

        private Builder() {
        }

        /**
         * @param name the name in messages and metrics (tag {@code name})
         * @return this builder
         */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * @param bytes the address space to reserve (default 64 GiB; costs no memory)
         * @return this builder
         * @throws IllegalArgumentException if not positive or above {@link Region#MAX_RESERVE_BYTES}
         */
        public Builder reserve(long bytes) {
            region.reserve(bytes);
            return this;
        }

        /**
         * @param bytes the most bytes committed at once; past it allocations throw
         *        {@link OutOfOffHeapMemoryException}
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder limit(long bytes) {
            region.limit(bytes);
            return this;
        }

        /**
         * @param delay how long memory stays committed once nothing uses it (default 10 s; zero: at once)
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder decay(Duration delay) {
            region.decay(delay);
            return this;
        }

        /**
         * @param bytes how many bytes beyond what is in use a background thread keeps committed and
         *        pre-faulted, so growth finds them ready instead of committing on the allocating
         *        thread (default 16 MiB, eight 2 MiB chunks); rounded up to whole chunks; 0 turns it
         *        off. They are resident memory: a service that must fit a tight memory budget while
         *        it grows can trade some of them for commits on its own threads (counted by
         *        {@code offheap.commit.on.caller}). Idle ready chunks go back after the decay delay.
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder commitAhead(long bytes) {
            region.commitAhead(bytes);
            return this;
        }

        /**
         * @param enabled whether committed chunks are advised {@code MADV_HUGEPAGE}
         * @return this builder
         */
        public Builder hugePages(boolean enabled) {
            region.hugePages(enabled);
            return this;
        }

        /**
         * @param enabled {@code false} to hand out blocks with whatever bytes they hold (default: zeroed)
         * @return this builder
         */
        public Builder zeroing(boolean enabled) {
            this.zeroing = enabled;
            return this;
        }

        /**
         * Checked mode for every size range (a debugging mode, off by default): each block's
         * segment throws after its free, resize or close; canaries after the bytes asked for are
         * checked on free; freed slab and free-list blocks are poisoned and verified before reuse
         * (large blocks go back to the region at once instead). See {@code SlabAllocator},
         * {@code TlsfAllocator} and {@code LargeBlockAllocator} for each range's cost.
         *
         * @param enabled whether checked mode is on
         * @return this builder
         */
        public Builder checked(boolean enabled) {
            this.checked = enabled;
            return this;
        }

        /**
         * Whether each platform thread that allocates slab blocks holds a cache of its own (default
         * {@code true}, or {@value OffHeapDefaults#THREAD_CACHES}): the fast path, no lock and no
         * CAS. With {@code false} every thread borrows one of at most {@link #pooledCaches(int)}
         * caches per call, as virtual threads always do (a try-lock CAS per call), so a service
         * with hundreds of platform threads keeps a bounded number of caches and pages; the
         * {@code offheap.thread.caches} gauge shows how many there are.
         *
         * @param perPlatformThread whether platform threads hold caches of their own
         * @return this builder
         */
        public Builder threadCaches(boolean perPlatformThread) {
            this.threadCaches = perPlatformThread;
            return this;
        }

        /**
         * The most pooled slab caches, those virtual threads (and, with {@code threadCaches(false)},
         * all threads) borrow (default twice the processors, at least 4, or
         * {@value OffHeapDefaults#POOLED_CACHES}).
         *
         * @param max the most pooled caches, at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code max} is not positive
         */
        public Builder pooledCaches(int max) {
            this.pooledCaches = (int) Checks.checkPositive("pooledCaches", max);
            return this;
        }

        /**
         * @param level leak detection for {@link #allocateBlock(long) object handles} (default
         *        {@link LeakDetection#SAMPLED}); {@code PARANOID} also records allocation sites
         * @return this builder
         */
        public Builder leakDetection(LeakDetection level) {
            this.leakDetection = Objects.requireNonNull(level, "level");
            return this;
        }

        /**
         * @param listener where leak reports go (default: {@link System.Logger}): the size ranges',
         *        the object handles' (found unreachable) and the children's (see
         *        {@link OffHeap#newChild})
         * @return this builder
         */
        public Builder leakListener(LeakListener listener) {
            this.leakListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Sets what {@link OffHeap#close()} does with blocks still live. {@link LeakPolicy#THROW}
         * makes it throw {@link LeakException} naming every such block with its size and, under
         * {@link LeakDetection#PARANOID}, its allocation site, after releasing everything: for test
         * suites. It records every live block in a map (and, under {@code PARANOID}, a stack trace
         * per allocation), so it is a test setting.
         * {@snippet :
         * OffHeap memory = OffHeap.builder().leakPolicy(LeakPolicy.THROW)
         *         .leakDetection(LeakDetection.PARANOID).build();
         * long forgotten = memory.allocate(64);
         * memory.close(); // throws LeakException: blocks=1, bytes=64, with the allocation site
         * }
         *
         * @param policy {@link LeakPolicy#REPORT} (the default) or {@link LeakPolicy#THROW}
         * @return this builder
         */
        public Builder leakPolicy(LeakPolicy policy) {
            this.leakPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Hooks every allocation and free (also those of {@link OffHeap#allocateBlock(long) object
         * handles}, children and {@link OffHeap#resize resizes}, a resize being a free of the old
         * block and an allocation of the new one), and lets the listener free memory and retry an
         * allocation the limit refused. Without one, allocate and free pay a null check.
         * {@snippet :
         * LongAdder bytesOut = new LongAdder();
         * OffHeap memory = OffHeap.builder().allocationListener(new AllocationListener() {
         *     @Override public void onAllocation(long handle, long byteSize) { bytesOut.add(byteSize); }
         *     @Override public void onFree(long handle, long byteSize) { bytesOut.add(-byteSize); }
         * }).build();
         * }
         *
         * @param listener the hooks (see {@link AllocationListener} for what each may do)
         * @return this builder
         */
        public Builder allocationListener(AllocationListener listener) {
            this.allocationListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Reserves the region and sets up the size ranges.
         *
         * @return the allocator
         * @throws dev.offheap.allocator.NativeCallException if the reservation is refused
         */
        public OffHeap build() {
            return new OffHeap(this);
        }
    }

    /**
     * Opens an {@link Arena} whose segments are blocks of this allocator, all freed when the arena
     * closes; for FFM code that takes an {@code Arena} or a {@link SegmentAllocator}. Thread-safe,
     * as {@link Arena#ofShared()} is. If this allocator closes first, it closes the arena first.
     *
     * {@snippet :
     * try (Arena arena = memory.newArena()) {
     *     MemorySegment name = arena.allocateFrom("orders");
     * } // every block of the arena is freed; name throws IllegalStateException from now on
     * }
     *
     * @return a new open arena; see {@link OffHeapArena} for alignment, contents and close
     * @throws IllegalStateException if this allocator is closed
     */
    public OffHeapArena newArena() {
        return OpenArenas.open(this);
    }

    /**
     * {@return a {@link SegmentAllocator} whose segments are blocks of this allocator, freed when
     * this allocator closes} Use it where FFM code wants a {@code SegmentAllocator} for memory that
     * lives as long as the allocator does (set-up tables, long-lived buffers): nothing frees its
     * blocks earlier, so for memory of a bounded lifetime use {@link #newArena()} and close it.
     * Each call returns a view over a fresh arena of its own. Segments are zeroed, aligned as asked
     * up to {@link OffHeapArena#MAX_BYTE_ALIGNMENT}, and throw {@link IllegalStateException} once this
     * allocator has closed. Thread-safe. ({@code OffHeap} cannot implement {@code SegmentAllocator}
     * itself: its {@code long allocate(long)} clashes with {@code MemorySegment allocate(long)}.)
     *
     * {@snippet :
     * SegmentAllocator allocator = memory.asSegmentAllocator();
     * MemorySegment table = allocator.allocate(ValueLayout.JAVA_LONG, 1024);
     * }
     *
     * @throws IllegalStateException if this allocator is closed
     */
    public SegmentAllocator asSegmentAllocator() {
        OffHeapArena arena = newArena();
        return arena::allocate; // a view: the arena's close stays the allocator's business
    }
}
