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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
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

    @Override
    public void free(long handle) {
        allocatorOf(handle).free(handle);
    }

    @Override
    public MemorySegment segment(long handle) {
        return allocatorOf(handle).segment(handle);
    }

    @Override
    public long byteSize(long handle) {
        return allocatorOf(handle).byteSize(handle);
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

    private HandleAllocator allocatorOf(long handle) {
        return switch (Handles.kind(handle)) {
            case Handles.KIND_SLAB -> slab;
            case Handles.KIND_FREE_LIST -> freeList;
            case Handles.KIND_LARGE -> large;
            default -> throw new ForeignPointerException("handle was not made by this allocator: handle="
                    + Handles.toString(handle) + ", allocator=" + name);
        };
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
        private LeakDetection leakDetection = OffHeapDefaults.leakDetection();
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
