package dev.offheap.allocator.facade;

import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.LeakListener;
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

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Objects;

/**
 * The allocator most services use: one reserved {@link Region} and one allocator per size range
 * over it, behind one {@link HandleAllocator}.
 * <ul>
 *   <li>up to 32 KiB: the {@link SlabAllocator} (size classes, per-thread pages, no lock on the
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

    private OffHeap(Builder b) {
        this.name = b.name;
        this.region = b.region.name(b.name).build();
        try {
            this.slab = SlabAllocator.builder().name(b.name + ".slab").region(region).zeroing(b.zeroing)
                    .checked(b.checked).trackAllocationSites(b.leakDetection == LeakDetection.PARANOID)
                    .leakListener(b.leakListener).build();
            this.freeList = TlsfAllocator.builder().name(b.name + ".free-list").region(region).zeroing(b.zeroing).build();
            this.large = LargeBlockAllocator.builder().name(b.name + ".large").region(region).zeroing(b.zeroing).build();
            this.blocks = BlockAllocator.over(this).leakDetection(b.leakDetection).leakListener(b.leakListener).build();
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

    /** {@return a builder: 64 GiB reserved, no limit, 10 s decay, zeroing, sampled leak detection} */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
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
        Checks.checkPositive("byteSize", byteSize);
        if (byteSize <= slabMax) {
            return slab.allocate(byteSize);
        }
        if (byteSize <= freeListMax) {
            return freeList.allocate(byteSize);
        }
        return large.allocate(byteSize);
    }

    // Dispatch by the handle's kind straight to the final class of each range (not through the
    // HandleAllocator interface), so each call site stays monomorphic whatever ranges a service uses.

    @Override
    public void free(long handle) {
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
            case Handles.KIND_FREE_LIST -> freeList.segment(handle).get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
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
            case Handles.KIND_FREE_LIST -> freeList.segment(handle).set(ValueLayout.JAVA_LONG_UNALIGNED, offset, value);
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
            case Handles.KIND_FREE_LIST -> freeList.segment(handle).get(ValueLayout.JAVA_INT_UNALIGNED, offset);
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
            case Handles.KIND_FREE_LIST -> freeList.segment(handle).set(ValueLayout.JAVA_INT_UNALIGNED, offset, value);
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
            case Handles.KIND_FREE_LIST -> freeList.segment(handle).get(ValueLayout.JAVA_BYTE, offset);
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
            case Handles.KIND_FREE_LIST -> freeList.segment(handle).set(ValueLayout.JAVA_BYTE, offset, value);
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
            return freeList.resize(handle, newByteSize);
        }
        if (owner == slab && newByteSize <= oldBytes) {
            return handle; // the slab block already holds it
        }
        long moved = allocate(newByteSize);
        MemorySegment.copy(owner.segment(handle), 0, segment(moved), 0, Math.min(oldBytes, newByteSize));
        owner.free(handle);
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
        return new BudgetedAllocator(this, childName, limitBytes);
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
     * of the size ranges' (used, live blocks); counters are summed; size classes are the slab's.
     */
    @Override
    public AllocatorSnapshot snapshot() {
        AllocatorSnapshot s = slab.snapshot();
        AllocatorSnapshot f = freeList.snapshot();
        AllocatorSnapshot l = large.snapshot();
        return new AllocatorSnapshot(name, "offheap", region.reservedBytes(), region.committedBytes(),
                s.usedBytes() + f.usedBytes() + l.usedBytes(), s.liveBlocks() + f.liveBlocks() + l.liveBlocks(),
                s.allocations() + f.allocations() + l.allocations(), s.frees() + f.frees() + l.frees(),
                s.remoteFrees() + f.remoteFrees() + l.remoteFrees(),
                s.failedAllocations() + f.failedAllocations() + l.failedAllocations(),
                s.doubleFrees() + f.doubleFrees() + l.doubleFrees(),
                s.useAfterFrees() + f.useAfterFrees() + l.useAfterFrees(),
                s.corruptions() + f.corruptions() + l.corruptions(),
                s.leaks() + f.leaks() + l.leaks() + blocks.leaksReported(),
                region.decommittedBytesTotal(), s.sizeClasses());
    }

    /**
     * Reports object handles still open as leaks, frees every block, and unmaps the region: every
     * segment handed out throws from now on. Idempotent.
     */
    @Override
    public void close() {
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
        private final Region.Builder region = Region.builder();
        private boolean zeroing = true;
        private boolean checked;
        private LeakDetection leakDetection = LeakDetection.SAMPLED;
        private LeakListener leakListener = LeakListener.logging();

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
         * @param enabled checked mode for the slab range: poison, canaries, a scope per block
         *        (a debugging mode, off by default)
         * @return this builder
         */
        public Builder checked(boolean enabled) {
            this.checked = enabled;
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
         * @param listener where leak reports go (default: {@link System.Logger})
         * @return this builder
         */
        public Builder leakListener(LeakListener listener) {
            this.leakListener = Objects.requireNonNull(listener, "listener");
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
}
