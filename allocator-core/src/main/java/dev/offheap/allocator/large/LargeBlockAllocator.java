package dev.offheap.allocator.large;

import dev.offheap.allocator.jfr.OffHeapEvents;
import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.internal.Checks;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.MeteredAllocator;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * Blocks too big for a free list: each gets a span of whole region chunks of its own (chunk
 * aligned, committed and pre-faulted) and goes back to the region the moment it is freed, so with
 * a region decay of zero its pages return to the OS at once, and otherwise after the decay delay.
 *
 * <p>Thread-safety: thread-safe. Every operation takes one internal lock for O(1) work besides
 * the region's own acquire or release (a syscall per block at worst, and, when the region must
 * decommit or split a run whose scope is cached, closing that shared scope, a handshake with every
 * thread: about 0.3 ms measured on a loaded 2-core VM; this is why only large blocks come here).
 *
 * <p>Handles: {@code Handles.pack(KIND_LARGE, generation, granule)}, {@code granule} being the
 * block's offset from the region's base in 16-byte granules. One generation per region chunk is
 * kept out of band for the life of the allocator and advances whenever a block starting at that
 * chunk is handed out, so stale, double-freed, interior and foreign handles are told apart in O(1).
 * Footprint: one reference and one {@code int} of heap per chunk of the region.
 *
 * <p>A block's usable size is its span's: the request rounded up to whole chunks. Memory is zeroed
 * unless zeroing is off; freshly committed chunks are zero already and not written again.
 */
public final class LargeBlockAllocator implements HandleAllocator, MeteredAllocator {
    private static final int GRANULE_SHIFT = 4;
    private static final int LIVE = 1 << 30;
    private static final System.Logger LOG = System.getLogger(LargeBlockAllocator.class.getName());

    private final String name;
    /** This allocator's identity in its handles (see {@link Handles}). */
    private final int tag = Handles.nextTag();
    private final Region region;
    private final boolean ownsRegion;
    private final boolean zeroing;
    private final int chunkShift;
    private final Object lock = new Object();
    // Guarded by lock.
    /** Per region chunk: the span of the live block starting there, else null. */
    private final Span[] spans;
    /** Per region chunk: the generation of the last block that started there, | LIVE while live. */
    private final int[] generations;
    private long liveBlocks;
    private long usedBytes;
    private long allocations;
    private long frees;
    private long failedAllocations;
    private long doubleFrees;
    private long useAfterFrees;
    private long leaks;
    private long releasedBytes;
    private boolean closed;

    private LargeBlockAllocator(Builder b) {
        this.name = b.name;
        this.ownsRegion = b.region == null;
        this.region = ownsRegion
                ? Region.builder().name(b.name).reserve(b.reserveBytes).decay(java.time.Duration.ZERO).build()
                : b.region;
        this.zeroing = b.zeroing;
        this.chunkShift = Long.numberOfTrailingZeros(region.chunkBytes());
        int chunks = Math.toIntExact(region.reservedBytes() >>> chunkShift);
        this.spans = new Span[chunks];
        this.generations = new int[chunks];
    }

    /** {@return a builder: own region of 64 GiB reserved with decay zero, zeroing on} */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
    }

    /** {@return the region the blocks' spans come from} */
    public Region region() {
        return region;
    }

    /** {@return the largest block this allocator serves, in bytes: the region's reservation} */
    public long maxBlockBytes() {
        return region.reservedBytes();
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if {@code byteSize <= 0} or it exceeds the region's reservation
     * @throws OutOfOffHeapMemoryException if the region has no run of chunks that long, or its limit is reached
     * @throws dev.offheap.allocator.NativeCallException if the kernel refuses to commit
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public long allocate(long byteSize) {
        Checks.checkPositive("byteSize", byteSize);
        if (byteSize > region.reservedBytes()) {
            throw new IllegalArgumentException("byteSize must not exceed the reservation " + region.reservedBytes()
                    + ": byteSize=" + byteSize + ", allocator=" + name);
        }
        synchronized (lock) {
            ensureOpen();
            Span span;
            try {
                span = region.acquire(byteSize);
            } catch (OutOfOffHeapMemoryException e) {
                failedAllocations++;
                throw e;
            }
            if (zeroing && !span.zeroed()) {
                span.segment().fill((byte) 0);
            }
            long offset = span.address() - region.baseAddress();
            int chunk = (int) (offset >>> chunkShift);
            int generation = Handles.nextGeneration(generations[chunk] & Handles.GENERATION_MASK);
            generations[chunk] = generation | LIVE;
            spans[chunk] = span;
            liveBlocks++;
            usedBytes += span.byteSize();
            allocations++;
            return Handles.pack(Handles.KIND_LARGE, tag, generation, offset >>> GRANULE_SHIFT);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The block's span goes back to the region now, without a scope close: a segment kept from
     * it aliases whatever the region lends there next and throws once the region decommits the
     * memory (decay, trim) or closes; it never reaches memory that is not committed.
     *
     * @throws DoubleFreeException if the block was freed already
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IllegalStateException if the allocator is closed, or a segment of the block is in use
     *         by a native call right now (the block is then still live)
     */
    @Override
    public void free(long handle) {
        synchronized (lock) {
            ensureOpen();
            int chunk = liveChunkOf(handle, true);
            Span span = spans[chunk];
            region.release(span); // first: it may refuse while a native call uses the memory
            spans[chunk] = null;
            generations[chunk] &= ~LIVE;
            liveBlocks--;
            usedBytes -= span.byteSize();
            releasedBytes += span.byteSize();
            frees++;
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The segment is the block's span: it throws {@link IllegalStateException} once the region
     * decommits the memory after the block is freed, or the allocator closes, never reaching memory
     * that is given back.
     *
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public MemorySegment segment(long handle) {
        synchronized (lock) {
            ensureOpen();
            return spans[liveChunkOf(handle, false)].segment();
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public long byteSize(long handle) {
        synchronized (lock) {
            ensureOpen();
            return spans[liveChunkOf(handle, false)].byteSize();
        }
    }

    /** {@inheritDoc} False once the allocator is closed. */
    @Override
    public boolean isLive(long handle) {
        synchronized (lock) {
            if (closed || !Handles.hasShape(handle, Handles.KIND_LARGE, tag)) {
                return false;
            }
            long offset = Handles.location(handle) << GRANULE_SHIFT;
            if (offset >= region.reservedBytes() || (offset & (region.chunkBytes() - 1)) != 0) {
                return false;
            }
            int cell = generations[(int) (offset >>> chunkShift)];
            return (cell & LIVE) != 0 && (cell & Handles.GENERATION_MASK) == Handles.generation(handle);
        }
    }

    /** {@return exact figures, read under the lock} {@code decommittedBytes} counts bytes given back to the region. */
    public AllocatorSnapshot snapshot() {
        synchronized (lock) {
            return new AllocatorSnapshot(name, "large", region.reservedBytes(), usedBytes, usedBytes, liveBlocks,
                    allocations, frees, 0, failedAllocations, doubleFrees, useAfterFrees, 0, leaks, releasedBytes,
                    List.of());
        }
    }

    /**
     * Asks the region to decommit its idle chunks now. Freed blocks are back in the region already.
     *
     * @return the bytes the region decommitted
     * @throws IllegalStateException if the allocator is closed
     */
    public long trim() {
        synchronized (lock) {
            ensureOpen();
            return region.trim();
        }
    }

    /**
     * Gives every block still live back, reporting them as leaks (count and bytes in the snapshot
     * and a warning through {@link System.Logger}); closes the region if the allocator made it.
     * Idempotent.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            leaks = liveBlocks;
            if (liveBlocks > 0) {
                LOG.log(System.Logger.Level.WARNING, "large-block allocator closed with live blocks: name={0}, "
                        + "leakedBlocks={1}, leakedBytes={2}", name, liveBlocks, usedBytes);
            }
            if (ownsRegion) {
                region.close();
            } else {
                for (int c = 0; c < spans.length; c++) {
                    if (spans[c] != null) {
                        region.releaseAndInvalidate(spans[c]);
                        spans[c] = null;
                    }
                }
            }
        }
    }

    private int liveChunkOf(long handle, boolean freeing) {
        if (!Handles.hasShape(handle, Handles.KIND_LARGE, tag)) {
            throw foreign(handle, "not a large-block handle");
        }
        long offset = Handles.location(handle) << GRANULE_SHIFT;
        if (offset >= region.reservedBytes()) {
            throw foreign(handle, "outside the region");
        }
        if ((offset & (region.chunkBytes() - 1)) != 0) {
            throw foreign(handle, "not the start of a block");
        }
        int chunk = (int) (offset >>> chunkShift);
        int cell = generations[chunk];
        int generation = Handles.generation(handle);
        int current = cell & Handles.GENERATION_MASK;
        if ((cell & LIVE) != 0 && current == generation) {
            return chunk;
        }
        if (generation == 0 || generation > current) {
            throw foreign(handle, "no block of this allocator started there in that generation");
        }
        if (freeing) {
            doubleFrees++;
            OffHeapEvents.emitDoubleFree(name, handle, 0);
            throw new DoubleFreeException("block freed already: handle=" + Handles.toString(handle)
                    + ", allocator=" + name);
        }
        useAfterFrees++;
        OffHeapEvents.emitUseAfterFree(name, handle, 0);
        throw new UseAfterFreeException("block used after free: handle=" + Handles.toString(handle)
                + ", allocator=" + name);
    }

    private ForeignPointerException foreign(long handle, String why) {
        return new ForeignPointerException("handle not made by this allocator, " + why + ": handle="
                + Handles.toString(handle) + ", allocator=" + name);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("allocator is closed: allocator=" + name);
        }
    }

    /**
     * Settings of a large-block allocator.
     *
     * <p>Thread-safety: not thread-safe; build on one thread.
     */
    public static final class Builder {
        private String name = "large";
        private Region region;
        private long reserveBytes = Region.DEFAULT_RESERVE_BYTES;
        private boolean zeroing = true;

        private Builder() {
        }

        /**
         * Names the allocator.
         *
         * @param name the name used in messages and metrics
         * @return this builder
         */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Shares a region.
         *
         * @param region a region to share with other allocators; the allocator does not close it
         * @return this builder
         */
        public Builder region(Region region) {
            this.region = Objects.requireNonNull(region, "region");
            return this;
        }

        /**
         * Sets the reservation of its own region.
         *
         * @param bytes the reservation of the allocator's own region (ignored with a given region)
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes <= 0}
         */
        public Builder reserve(long bytes) {
            this.reserveBytes = Checks.checkPositive("reserveBytes", bytes);
            return this;
        }

        /**
         * Turns zeroing on or off.
         *
         * @param enabled whether handed-out memory is zeroed (default on)
         * @return this builder
         */
        public Builder zeroing(boolean enabled) {
            this.zeroing = enabled;
            return this;
        }

        /**
         * Builds the allocator.
         *
         * @return the allocator
         * @throws dev.offheap.allocator.NativeCallException if its own region cannot be reserved
         */
        public LargeBlockAllocator build() {
            return new LargeBlockAllocator(this);
        }
    }
}
