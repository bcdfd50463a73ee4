package dev.offheap.allocator.large;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.HeapCorruptionException;
import dev.offheap.allocator.LeakListener;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.internal.BlockChecks;
import dev.offheap.allocator.internal.Checks;
import dev.offheap.allocator.internal.HandleCheck;
import dev.offheap.allocator.internal.LeakReporter;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.MeteredAllocator;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
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
 * <p>Handles: {@code Handles.pack(KIND_LARGE, tag, generation, granule)}, {@code granule} being the
 * block's offset from the region's base in 16-byte granules. One generation per region chunk is
 * kept out of band for the life of the allocator and follows {@link Handles}' rule: it starts at 1
 * and goes up by one at each free of a block that started at that chunk, so stale, double-freed,
 * interior and foreign handles are told apart in O(1) by {@link HandleCheck}. A chunk whose
 * generation would pass {@link Handles#MAX_GENERATION} is <em>retired</em>: the block freed last
 * there keeps its span (its pages purged, so it costs address space, not resident memory) and no
 * block ever starts at that chunk again. The cost is one block's address range per
 * 2<sup>24</sup> − 1 frees at one chunk.
 *
 * <p>Failures: a region closed under the allocator makes every call throw
 * {@link IllegalStateException} naming the region; leaks at {@link #close()} go through the
 * allocator's {@link LeakListener}, a JFR event and the {@code leaks} counter.
 *
 * <p>Checked mode ({@link Builder#checked(boolean) checked(true)}, a debugging mode): the block's
 * segment and {@link #byteSize} are bounded to the bytes asked for; {@value BlockChecks#CANARY_BYTES}
 * canary bytes or more follow them (a block of a whole number of chunks gets one chunk more) and
 * are checked on free ({@link HeapCorruptionException}, the block freed all the same); a free gives
 * the span back with its scope closed ({@link Region#releaseAndInvalidate}, a handshake with every
 * thread), so a segment kept after free throws {@link IllegalStateException}. Freed memory is not
 * poisoned: it goes back to the region at once, where no segment of the block can reach it. The one
 * exception is the free that retires a chunk (once per 2<sup>24</sup> − 1 frees there): that span
 * is kept, purged, and a segment kept from it reads zeros until close.
 *
 * <h2>Footprint</h2>
 * Java heap: 12 bytes per region chunk (a reference and an {@code int}; 20 in checked mode), in
 * tables grown by doubling to the highest chunk a block started at: at most
 * {@code 12 × (reservedBytes / chunkBytes)} (384 KiB for 64 GiB in 2 MiB chunks, all used), 192
 * bytes for an allocator that never served a block; nothing off the heap.
 *
 * <p>A block's usable size is its span's: the request rounded up to whole chunks. Memory is zeroed
 * unless zeroing is off; freshly committed chunks are zero already and not written again.
 */
public final class LargeBlockAllocator implements HandleAllocator, MeteredAllocator {
    private static final int GRANULE_SHIFT = 4;
    private static final int LIVE = 1 << 30;
    /** Chunks the tables hold at first; they double to the highest chunk a block starts at. */
    private static final int INITIAL_TABLE_LENGTH = 16;

    private final String name;
    /** This allocator's identity in its handles (see {@link Handles}). */
    private final int tag = Handles.nextTag();
    private final Region region;
    private final boolean ownsRegion;
    private final boolean zeroing;
    /** The region's chunks: the most the per-chunk tables grow to. */
    private final int chunkCount;
    /** Checked mode: per region chunk, the bytes asked for of the live block starting there; else null. */
    private long[] requested;
    /** Bytes a block holds beyond the request: the canary in checked mode, else 0. */
    private final long extraBytes;
    private final int chunkShift;
    private final HandleCheck handleCheck;
    private final LeakReporter leakReporter;
    private final Object lock = new Object();
    // Guarded by lock.
    /** Per region chunk: the span of the live block starting there, else null. */
    private Span[] spans;
    /**
     * Per region chunk: the generation of the live block starting there | LIVE, or the one the next
     * block there gets; 0 before any; {@link HandleCheck#RETIRED_LOCATION} once retired.
     */
    private int[] generations;
    /** Spans of retired chunks, kept (purged) so no block starts there again; given back at close. */
    private final List<Span> retired = new ArrayList<>();
    private long liveBlocks;
    private long usedBytes;
    private long allocations;
    private long frees;
    private long failedAllocations;
    private long releasedBytes;
    private long corruptions;
    private boolean closed;

    private LargeBlockAllocator(Builder b) {
        this.name = b.name;
        this.handleCheck = new HandleCheck(b.name);
        this.leakReporter = new LeakReporter(b.name, b.leakListener);
        this.ownsRegion = b.region == null;
        this.region = ownsRegion
                ? Region.builder().name(b.name).reserve(b.reserveBytes).decay(java.time.Duration.ZERO).build()
                : b.region;
        this.zeroing = b.zeroing;
        this.chunkShift = Long.numberOfTrailingZeros(region.chunkBytes());
        int chunks = Math.toIntExact(region.reservedBytes() >>> chunkShift);
        this.chunkCount = chunks;
        int atFirst = Math.min(chunks, INITIAL_TABLE_LENGTH);
        this.spans = new Span[atFirst];
        this.generations = new int[atFirst];
        this.requested = b.checked ? new long[atFirst] : null;
        this.extraBytes = b.checked ? BlockChecks.CANARY_BYTES : 0;
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

    /** {@return the largest request this allocator serves, in bytes: the region's reservation, less the canary in checked mode} */
    public long maxBlockBytes() {
        return region.reservedBytes() - extraBytes;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if {@code byteSize <= 0} or it exceeds the region's reservation
     * @throws OutOfOffHeapMemoryException if the region has no run of chunks that long, or its limit is reached
     * @throws dev.offheap.allocator.NativeCallException if the kernel refuses to commit
     * @throws IllegalStateException if the allocator or its region is closed
     */
    @Override
    public long allocate(long byteSize) {
        Checks.checkPositive("byteSize", byteSize);
        if (byteSize > maxBlockBytes()) {
            throw new IllegalArgumentException("byteSize must not exceed the reservation " + maxBlockBytes()
                    + ": byteSize=" + byteSize + ", allocator=" + name);
        }
        synchronized (lock) {
            ensureOpen();
            Span span;
            int chunk;
            while (true) {
                try {
                    span = region.acquire(byteSize + extraBytes);
                } catch (OutOfOffHeapMemoryException e) {
                    failedAllocations++;
                    throw e;
                }
                chunk = (int) ((span.address() - region.baseAddress()) >>> chunkShift);
                ensureChunks(chunk + 1);
                if (generations[chunk] != HandleCheck.RETIRED_LOCATION) {
                    break;
                }
                retire(span); // a run starting at a retired chunk: keep it, never hand it out
            }
            if ((zeroing || requested != null) && !span.zeroed()) {
                span.segment().fill((byte) 0); // the span's own scoped segment
            }
            if (requested != null) {
                BlockChecks.writeCanary(span.segment(), byteSize, span.byteSize() - byteSize);
                requested[chunk] = byteSize;
            }
            long offset = span.address() - region.baseAddress();
            int generation = Math.max(1, generations[chunk]);
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
     * <p>The free that takes a chunk's generation past {@link Handles#MAX_GENERATION} retires
     * the chunk: the span is kept, its pages purged, and never handed out again.
     *
     * @throws DoubleFreeException if the block was freed already
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IllegalStateException if the allocator or its region is closed, or a segment of the
     *         block is in use by a native call right now (the block is then still live)
     */
    @Override
    public void free(long handle) {
        synchronized (lock) {
            ensureOpen();
            int chunk = liveChunkOf(handle, true);
            Span span = spans[chunk];
            HeapCorruptionException overrun = requested == null ? null : checkCanary(handle, span, requested[chunk]);
            int next = Handles.nextGeneration(generations[chunk] & Handles.GENERATION_MASK);
            if (next == Handles.RETIRED) {
                retire(span);
                generations[chunk] = HandleCheck.RETIRED_LOCATION;
            } else if (requested != null) {
                region.releaseAndInvalidate(span); // first: it may refuse while a native call uses the memory
                generations[chunk] = next;
            } else {
                region.release(span); // first: it may refuse while a native call uses the memory
                generations[chunk] = next;
            }
            spans[chunk] = null;
            liveBlocks--;
            usedBytes -= span.byteSize();
            releasedBytes += span.byteSize();
            frees++;
            if (overrun != null) {
                throw overrun;
            }
        }
    }

    /** {@return checked mode's overrun found in the canary after a live block's bytes, or null} */
    private HeapCorruptionException checkCanary(long handle, Span span, long asked) {
        long changed = BlockChecks.firstCanaryChanged(span.segment(), asked, span.byteSize() - asked);
        if (changed < 0) {
            return null;
        }
        corruptions++;
        return BlockChecks.overrun(handle, span.segment(), 0, asked, changed, name, null);
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
     * @throws IllegalStateException if the allocator or its region is closed
     */
    @Override
    public MemorySegment segment(long handle) {
        synchronized (lock) {
            ensureOpen();
            int chunk = liveChunkOf(handle, false);
            MemorySegment span = spans[chunk].segment();
            return requested == null ? span : span.asSlice(0, requested[chunk]);
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IllegalStateException if the allocator or its region is closed
     */
    @Override
    public long byteSize(long handle) {
        synchronized (lock) {
            ensureOpen();
            int chunk = liveChunkOf(handle, false);
            return requested == null ? spans[chunk].byteSize() : requested[chunk];
        }
    }

    /** {@inheritDoc} False once the allocator is closed. */
    @Override
    public boolean isLive(long handle) {
        synchronized (lock) {
            if (closed || region.isClosed() || !Handles.hasShape(handle, Handles.KIND_LARGE, tag)) {
                return false;
            }
            long offset = Handles.location(handle) << GRANULE_SHIFT;
            if (offset >= region.reservedBytes() || (offset & (region.chunkBytes() - 1)) != 0) {
                return false;
            }
            int cell = generationAt((int) (offset >>> chunkShift));
            return cell == (Handles.generation(handle) | LIVE);
        }
    }

    /** {@return exact figures, read under the lock} {@code decommittedBytes} counts bytes given back to the region. */
    public AllocatorSnapshot snapshot() {
        synchronized (lock) {
            return new AllocatorSnapshot(name, "large", region.reservedBytes(), usedBytes, usedBytes, liveBlocks,
                    allocations, frees, 0, failedAllocations, handleCheck.doubleFrees(), handleCheck.useAfterFrees(),
                    corruptions, leakReporter.leakedBlocks(), releasedBytes, List.of(), 0, 0, 0,
                    (requested == null ? 12L : 20L) * generations.length, 0); // per chunk: a reference, an int (and a long, checked)
        }
    }

    /**
     * Asks the region to decommit its idle chunks now. Freed blocks are back in the region already.
     *
     * @return the bytes the region decommitted
     * @throws IllegalStateException if the allocator or its region is closed
     */
    public long trim() {
        synchronized (lock) {
            ensureOpen();
            return region.trim();
        }
    }

    /**
     * Gives every block still live back, reporting them as leaks through the allocator's
     * {@link LeakListener} (one {@link dev.offheap.allocator.LeakReport} with their count and bytes),
     * a JFR leak event and {@code leaks} in the snapshot; the snapshot then shows no live block.
     * Closes the region if the allocator made it, else gives the blocks' spans back with their
     * scopes closed, so every segment of them throws. Idempotent; a region closed already is fine.
     */
    @Override
    public void close() {
        long leakedBlocks;
        long leakedBytes;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            leakedBlocks = liveBlocks;
            leakedBytes = usedBytes;
            liveBlocks = 0;
            usedBytes = 0;
            if (ownsRegion) {
                region.close();
            } else if (!region.isClosed()) {
                for (int c = 0; c < spans.length; c++) {
                    if (spans[c] != null) {
                        region.releaseAndInvalidate(spans[c]);
                    }
                }
                for (Span span : retired) {
                    region.releaseAndInvalidate(span);
                }
            }
            java.util.Arrays.fill(spans, null);
            retired.clear();
        }
        leakReporter.outstandingAtClose(leakedBlocks, leakedBytes, List.of()); // outside the lock: a listener may be slow
    }

    /** Keeps a span whose chunk is retired: purged, never handed out, given back at close. */
    private void retire(Span span) {
        retired.add(span);
        region.purge(span, 0, span.byteSize());
    }

    /** Sets a chunk's generation, for tests of retirement; the chunk must hold no live block. */
    void setGenerationForTest(long location, int generation) {
        synchronized (lock) {
            int chunk = (int) ((location << GRANULE_SHIFT) >>> chunkShift);
            ensureChunks(chunk + 1);
            if ((generations[chunk] & LIVE) != 0) {
                throw new IllegalStateException("chunk holds a live block: chunk=" + chunk);
            }
            generations[chunk] = generation;
        }
    }

    /** {@return the bytes of spans kept for retired chunks} */
    long retiredBytes() {
        synchronized (lock) {
            return retired.stream().mapToLong(Span::byteSize).sum();
        }
    }

    private int liveChunkOf(long handle, boolean freeing) {
        if (!Handles.hasShape(handle, Handles.KIND_LARGE, tag)) {
            throw handleCheck.foreign(handle, "not a large-block handle");
        }
        long offset = Handles.location(handle) << GRANULE_SHIFT;
        if (offset >= region.reservedBytes()) {
            throw handleCheck.foreign(handle, "location outside the region");
        }
        int chunk = (int) (offset >>> chunkShift);
        int cell = generationAt(chunk);
        if ((offset & (region.chunkBytes() - 1)) == 0 && cell == (Handles.generation(handle) | LIVE)) {
            return chunk;
        }
        throw rejected(handle, offset, freeing);
    }

    /** Classifies a handle that failed the live check: the cold path. */
    private RuntimeException rejected(long handle, long offset, boolean freeing) {
        int chunk = (int) (offset >>> chunkShift);
        if ((offset & (region.chunkBytes() - 1)) != 0) {
            // Inside a chunk: inside a live block if one covers it, else never a block start.
            boolean interior = false;
            for (int c = Math.min(chunk, spans.length - 1); c >= 0 && !interior; c--) {
                if (spans[c] != null) {
                    interior = spans[c].address() + spans[c].byteSize() > region.baseAddress() + offset;
                    break;
                }
            }
            return interior ? handleCheck.reject(handle, 0, true, freeing, 0, null)
                    : handleCheck.foreign(handle, "not the start of a chunk");
        }
        int cell = generationAt(chunk);
        int current = (cell & LIVE) != 0 ? cell & Handles.GENERATION_MASK
                : cell == HandleCheck.RETIRED_LOCATION ? cell : cell - 1; // a free chunk: the generation freed last
        return handleCheck.reject(handle, current, false, freeing, 0, null);
    }

    /** {@return the generation cell of {@code chunk}: 0 past the tables, where no block ever started} */
    private int generationAt(int chunk) {
        return chunk < generations.length ? generations[chunk] : 0;
    }

    /** Grows the per-chunk tables, under the lock, to hold chunks below {@code end}. */
    private void ensureChunks(int end) {
        if (end > generations.length) {
            int length = Math.min(chunkCount, Math.max(end, 2 * generations.length));
            spans = java.util.Arrays.copyOf(spans, length);
            generations = java.util.Arrays.copyOf(generations, length);
            if (requested != null) {
                requested = java.util.Arrays.copyOf(requested, length);
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("allocator is closed: allocator=" + name);
        }
        if (region.isClosed()) {
            throw new IllegalStateException("region is closed under the allocator: region=" + region.name()
                    + ", allocator=" + name);
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
        private boolean checked;
        private LeakListener leakListener = LeakListener.logging();

        private Builder() {
        }

        /**
         * Sets where leaks found at {@link LargeBlockAllocator#close()} are reported.
         *
         * @param listener the listener (default {@link LeakListener#logging()})
         * @return this builder
         */
        public Builder leakListener(LeakListener listener) {
            this.leakListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Turns checked mode on or off (default off): canaries checked on free, segments that throw
         * after free (see the class javadoc). A debugging mode: a scope close per free.
         *
         * @param enabled whether checked mode is on
         * @return this builder
         */
        public Builder checked(boolean enabled) {
            this.checked = enabled;
            return this;
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
