package dev.offheap.allocator.bump;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.internal.Checks;
import dev.offheap.allocator.internal.Counting;
import dev.offheap.allocator.internal.Zeroing;
import dev.offheap.allocator.jfr.OffHeapEvents;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.MeteredAllocator;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pointer-increment allocation over spans of a {@link Region}: the fastest path there is. Blocks
 * are not freed one by one; {@link #reset(long)} rewinds to a {@link #mark()} and {@link #reset()}
 * rewinds to the start, and memory is given back to the region on {@link #close()}.
 *
 * <p>Thread-safety: <em>confined</em> by default — every method but the byte counts must be called
 * from the thread that built the arena, or {@link WrongThreadException} is thrown.
 * {@link Builder#shared(boolean) shared} arenas may be called from any thread and serialise their
 * calls on a lock. Segments it returns may be read and written from any thread.
 *
 * <p>Memory: each block is a segment bounded to exactly its bytes and bound to the scope of the
 * span it lies in. After {@code reset}, a segment from before the reset still works and aliases
 * newer blocks, as with {@link SegmentAllocator#slicingAllocator}; after {@link #close()} every
 * segment the arena returned throws on access. A region closed under the arena makes every later
 * allocation throw {@link IllegalStateException} naming the region (and every segment throw, as the
 * region's close promises). Blocks are zeroed by default, as
 * {@code Arena.allocate} zeroes; memory that is known to be untouched since commit is not zeroed
 * twice.
 *
 * <p>Growth: when a span is full the arena takes a new one from the region, twice as long as the
 * last (up to {@value #MAX_GROWTH_BYTES} bytes) or as long as the request needs; if the region
 * refuses the doubled span, the arena asks for just what the request needs. The unused tail of
 * the old span is skipped. Spans are kept across {@code reset} and reused in order, so a reset
 * arena allocates again without asking the region.
 *
 * <p>Metrics ({@link #snapshot()}, kind {@code bump}): allocations are counted in a plain field
 * of the arena, written by one thread at a time (the owner of a confined arena; the lock holder of
 * a shared one, whose lock already orders the writers), so counting adds one store and no atomic
 * instruction to the hot path. Blocks are not freed one by one, so frees and live blocks read 0;
 * used bytes are the measure of what is live.
 *
 * {@snippet :
 * try (BumpArena arena = BumpArena.ofConfined()) {
 *     MemorySegment header = arena.allocate(64, 8);
 *     long mark = arena.mark();
 *     MemorySegment scratch = arena.allocate(4096);
 *     arena.reset(mark); // scratch's bytes are reused by the next allocation
 * }
 * }
 */
public final class BumpArena implements SegmentAllocator, AutoCloseable, MeteredAllocator {
    /** The largest span growth step: 1 GiB. */
    public static final long MAX_GROWTH_BYTES = 1L << 30;

    // A mark packs: arena tag (12 bits) | span index (12 bits) | offset in span (40 bits).
    private static final int OFFSET_BITS = 40;
    private static final int INDEX_BITS = 12;
    private static final long OFFSET_MASK = (1L << OFFSET_BITS) - 1;
    private static final int MAX_SPANS = 1 << INDEX_BITS;
    private static final int TAG_MASK = (1 << 12) - 1;
    private static final AtomicInteger NEXT_TAG = new AtomicInteger();
    private static final VarHandle ALLOCATIONS;
    private static final VarHandle FAILED_ALLOCATIONS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            ALLOCATIONS = lookup.findVarHandle(BumpArena.class, "allocations", long.class);
            FAILED_ALLOCATIONS = lookup.findVarHandle(BumpArena.class, "failedAllocations", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String name;

    private final Region region;
    private final boolean ownsRegion;
    private final Thread owner;
    private final boolean zeroing;
    private final long tag;
    private final long maxSpanBytes;
    /** Spans start on chunk boundaries, so any alignment up to the chunk size can be honoured. */
    private final long maxAlignment;

    /** Spans in the order taken; spans past {@link #current} are spare, kept for reuse after a reset. */
    private Span[] spans = new Span[4];
    /** Per span: offset below which its bytes may be dirty (were handed out before). */
    private long[] dirtyEnd = new long[4];
    private int spanCount;
    private int current = -1;
    /**
     * The bytes of the spans held: the sum over {@link #spans}, kept apart so that the byte counts
     * can be read from any thread without walking an array the owner is changing. Volatile: each
     * store publishes the new sum to readers on other threads; it changes once per span, never on
     * the allocation path.
     */
    private volatile long heldBytes;

    // The hot path's state: the current span's segment and its cursor, as offsets into it.
    private MemorySegment segment;
    private long cursor;
    private long limit;
    /** Bytes handed out in spans before the current one, padding and skipped tails included. */
    private long usedBefore;
    private boolean closed;

    // Metrics. One writer at a time (owner thread, or the lock holder of a shared arena): plain
    // read, opaque store so snapshot() on another thread reads whole, eventually fresh values.
    private long allocations;
    private long failedAllocations;

    private BumpArena(Builder b) {
        this.name = b.name;
        this.ownsRegion = b.region == null;
        this.region = ownsRegion ? Region.builder().name(b.name).reserve(b.reserveBytes).build() : b.region;
        this.owner = b.shared ? null : Thread.currentThread();
        this.zeroing = b.zeroing;
        this.tag = (long) (NEXT_TAG.getAndIncrement() & TAG_MASK) << (OFFSET_BITS + INDEX_BITS);
        this.maxSpanBytes = Math.min(region.reservedBytes(), (1L << OFFSET_BITS));
        this.maxAlignment = region.chunkBytes();
    }

    /** {@return a builder: confined, zeroing, over a region of its own with the default reservation} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return a confined, zeroing arena over a region of its own} */
    public static BumpArena ofConfined() {
        return builder().build();
    }

    /**
     * @param region the region to take spans from; it stays open when the arena closes
     * @return a confined, zeroing arena over {@code region}
     */
    public static BumpArena ofConfined(Region region) {
        return builder().region(region).build();
    }

    /**
     * Allocates a block bounded to exactly {@code byteSize} bytes, aligned to {@code byteAlignment}.
     *
     * @param byteSize the size in bytes; zero gives an empty segment
     * @param byteAlignment a power of two no larger than the region's chunk size
     * @return the block, zeroed unless zeroing was turned off
     * @throws IllegalArgumentException if the size is negative or the alignment is not a power of
     *         two or exceeds the chunk size
     * @throws OutOfOffHeapMemoryException if the region cannot lend another span
     * @throws WrongThreadException if the arena is confined to another thread
     * @throws IllegalStateException if the arena or its region is closed
     */
    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        if (owner == null) {
            synchronized (this) {
                return allocateSlice(byteSize, byteAlignment);
            }
        }
        checkOwner();
        return allocateSlice(byteSize, byteAlignment);
    }

    /**
     * Allocates like {@link #allocate(long, long)} and returns only the block's address: no object
     * is made, for hot paths that pass the address to native code or keep it in a table.
     *
     * @param byteSize the size in bytes
     * @param byteAlignment a power of two no larger than the region's chunk size
     * @return the address of the first byte
     * @throws IllegalArgumentException if the size is negative or the alignment is bad
     * @throws OutOfOffHeapMemoryException if the region cannot lend another span
     * @throws WrongThreadException if the arena is confined to another thread
     * @throws IllegalStateException if the arena or its region is closed
     */
    public long allocateAddress(long byteSize, long byteAlignment) {
        if (owner == null) {
            synchronized (this) {
                return allocateAddress0(byteSize, byteAlignment);
            }
        }
        checkOwner();
        return allocateAddress0(byteSize, byteAlignment);
    }

    private long allocateAddress0(long byteSize, long byteAlignment) {
        long offset = bump(byteSize, byteAlignment);
        return segment.address() + offset; // read after bump: it may have moved to a new span
    }

    private MemorySegment allocateSlice(long byteSize, long byteAlignment) {
        long offset = bump(byteSize, byteAlignment);
        return segment.asSlice(offset, byteSize);
    }

    /** Moves the cursor past a new block and returns the block's offset in {@link #segment}. */
    private long bump(long byteSize, long byteAlignment) {
        Checks.checkSizeAndAlignment(byteSize, byteAlignment, maxAlignment);
        if (closed) {
            throw new IllegalStateException("arena is closed");
        }
        if (segment != null && !segment.scope().isAlive()) {
            // The region was closed under the arena: its spans' scopes are closed, so nothing
            // below could touch memory, but say which region instead of the JVM's "Already closed".
            throw new IllegalStateException("region closed under the arena: region=" + region.name() + ", arena=" + name);
        }
        long start = (cursor + byteAlignment - 1) & -byteAlignment;
        // start <= limit < 2^40 and byteSize >= 0, so the sum cannot overflow.
        if (segment == null || byteSize > limit - start) {
            try {
                start = nextSpan(byteSize);
            } catch (OutOfOffHeapMemoryException e) {
                countFailure(byteSize);
                throw e;
            }
        }
        cursor = start + byteSize;
        if (Counting.ENABLED) {
            ALLOCATIONS.setOpaque(this, allocations + 1); // publishes the count to snapshot()
        }
        if (zeroing && start < dirtyEnd[current]) {
            Zeroing.zero(segment, start, Math.min(byteSize, dirtyEnd[current] - start));
        }
        return start;
    }

    /**
     * Moves to the next spare span that fits, or takes a new one; returns the block's offset (0).
     * Nothing changes until the span is in hand: if the region refuses, the arena stays on its
     * current span with its cursor, counts and dirty marks as they were, and keeps serving.
     */
    private long nextSpan(long byteSize) {
        if (byteSize > maxSpanBytes) {
            throw new OutOfOffHeapMemoryException("request exceeds the largest span", region.name(), byteSize,
                    maxSpanBytes, region.committedBytes(), usedBytes());
        }
        // Spare spans left by a reset are reused in order; one too short for this request is
        // skipped (it stays spare for the next reset).
        int next = current + 1;
        long skippedBytes = 0;
        while (next < spanCount && spans[next].byteSize() < byteSize) {
            skippedBytes += spans[next].byteSize();
            next++;
        }
        if (next == spanCount) {
            if (spanCount == MAX_SPANS) {
                throw new OutOfOffHeapMemoryException("span table full (" + MAX_SPANS + " spans)", region.name(),
                        byteSize, maxSpanBytes, region.committedBytes(), usedBytes());
            }
            long last = spanCount == 0 ? 0 : spans[spanCount - 1].byteSize();
            long want = Math.max(byteSize, Math.min(Math.max(2 * last, region.chunkBytes()), MAX_GROWTH_BYTES));
            Span span; // acquire may throw: nothing has changed yet
            try {
                span = region.acquire(Math.min(want, maxSpanBytes));
            } catch (OutOfOffHeapMemoryException doubledRefused) {
                long need = Math.max(byteSize, region.chunkBytes());
                if (want <= need) {
                    throw doubledRefused;
                }
                // Growth is a heuristic: when the limit or the reservation refuses the doubled
                // span, the span this request needs may still fit.
                span = region.acquire(Math.min(need, maxSpanBytes));
            }
            if (spanCount == spans.length) {
                spans = Arrays.copyOf(spans, spanCount * 2);
                dirtyEnd = Arrays.copyOf(dirtyEnd, spanCount * 2);
            }
            spans[spanCount] = span;
            dirtyEnd[spanCount] = span.zeroed() ? 0 : span.byteSize();
            spanCount++;
            heldBytes += span.byteSize(); // one writer: the owner, or a caller holding the lock
        }
        leaveCurrentSpan();
        usedBefore += skippedBytes;
        current = next;
        enter(current);
        return 0;
    }

    private void leaveCurrentSpan() {
        if (current >= 0) {
            dirtyEnd[current] = Math.max(dirtyEnd[current], cursor);
            usedBefore += spans[current].byteSize();
        }
    }

    private void enter(int index) {
        segment = spans[index].segment();
        cursor = 0;
        limit = spans[index].byteSize();
    }

    /**
     * {@return the current position, to hand to {@link #reset(long)} later}
     *
     * @throws WrongThreadException if the arena is confined to another thread
     * @throws IllegalStateException if the arena is closed
     */
    public long mark() {
        if (owner == null) {
            synchronized (this) {
                return mark0();
            }
        }
        checkOwner();
        return mark0();
    }

    private long mark0() {
        ensureOpen();
        return current < 0 ? tag : tag | ((long) current << OFFSET_BITS) | cursor;
    }

    /**
     * Rewinds to a mark: the bytes allocated since become free for the next allocations.
     *
     * @param mark a value {@link #mark()} of this arena returned, at or before the current position
     * @throws IllegalArgumentException if the mark is not from this arena or lies past the current
     *         position (a reset already rewound beyond it)
     * @throws WrongThreadException if the arena is confined to another thread
     * @throws IllegalStateException if the arena is closed
     */
    public void reset(long mark) {
        if (owner == null) {
            synchronized (this) {
                reset0(mark);
                return;
            }
        }
        checkOwner();
        reset0(mark);
    }

    /**
     * Rewinds to the start: every byte allocated becomes free, spans stay for reuse.
     *
     * @throws WrongThreadException if the arena is confined to another thread
     * @throws IllegalStateException if the arena is closed
     */
    public void reset() {
        reset(tag);
    }

    private void reset0(long mark) {
        ensureOpen();
        long markTag = mark & ~((1L << (OFFSET_BITS + INDEX_BITS)) - 1);
        int index = (int) ((mark >>> OFFSET_BITS) & (MAX_SPANS - 1));
        long offset = mark & OFFSET_MASK;
        boolean atStart = mark == tag;
        boolean valid = markTag == tag && (atStart || index < current || (index == current && offset <= cursor));
        if (!valid) {
            throw new IllegalArgumentException("mark is not from this arena or lies past the current position: mark=0x"
                    + Long.toHexString(mark) + ", position=0x" + Long.toHexString(mark0()));
        }
        if (current < 0) {
            return;
        }
        dirtyEnd[current] = Math.max(dirtyEnd[current], cursor);
        usedBefore = 0;
        for (int i = 0; i < (atStart ? 0 : index); i++) {
            usedBefore += spans[i].byteSize();
        }
        current = atStart ? 0 : index;
        enter(current);
        cursor = atStart ? 0 : offset;
    }

    /**
     * {@return the bytes handed out since the start or the last full reset, padding included}
     * Any thread may call it; from a thread other than the one allocating, the value is a recent
     * one, not necessarily the latest.
     */
    public long usedBytes() {
        return usedBefore + cursor;
    }

    /** {@return the bytes of all spans this arena holds} Any thread may call it, at any time. */
    public long committedBytes() {
        return heldBytes;
    }

    /** {@return the region this arena takes its spans from} */
    public Region region() {
        return region;
    }

    /** {@return the arena's name, used in messages and metrics} */
    public String name() {
        return name;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Kind {@code bump}. Reserved bytes are the arena's own region's reservation, or the bytes it
     * holds when it shares a region (the region reports its reservation itself); committed bytes are
     * the spans it holds; used bytes are those handed out (padding and skipped span tails included);
     * failed allocations count {@link OutOfOffHeapMemoryException}s; decommitted bytes are those of
     * its own region. A shared arena takes its lock for an exact reading. A confined arena is read
     * from other threads without stopping the owner: the counts are exact as of a moment ago, and
     * used bytes are a racy read of the owner's cursor, whole on a 64-bit JVM and clamped to
     * {@code [0, committed]}.
     */
    @Override
    public AllocatorSnapshot snapshot() {
        if (owner == null) {
            synchronized (this) {
                return snapshot0();
            }
        }
        return snapshot0();
    }

    private AllocatorSnapshot snapshot0() {
        long held = heldBytes;
        long used = Math.clamp(usedBefore + cursor, 0, held);
        long reserved = ownsRegion ? (region.isClosed() ? 0 : region.reservedBytes()) : held;
        return new AllocatorSnapshot(name, "bump", reserved, held, used, 0,
                (long) ALLOCATIONS.getOpaque(this), 0, 0, (long) FAILED_ALLOCATIONS.getOpaque(this),
                0, 0, 0, 0, ownsRegion ? region.decommittedBytesTotal() : 0, List.of());
    }

    /**
     * Counts a refused allocation and records a JFR event for the refusals that are the arena's own
     * (the region records those it refuses itself, under its own name).
     */
    private void countFailure(long byteSize) {
        FAILED_ALLOCATIONS.setOpaque(this, failedAllocations + 1); // publishes the count to snapshot()
        if (byteSize > maxSpanBytes) {
            OffHeapEvents.emitAllocationFailure(name, "request exceeds the largest span", byteSize, maxSpanBytes,
                    heldBytes, usedBytes());
        } else if (spanCount == MAX_SPANS) {
            OffHeapEvents.emitAllocationFailure(name, "span table full (" + MAX_SPANS + " spans)", byteSize,
                    maxSpanBytes, heldBytes, usedBytes());
        }
    }

    /**
     * Gives every span back to the region (and closes the region if the arena made it). Every
     * segment this arena returned throws on access from now on. Idempotent.
     *
     * @throws WrongThreadException if the arena is confined to another thread
     */
    @Override
    public void close() {
        if (owner == null) {
            synchronized (this) {
                close0();
                return;
            }
        }
        checkOwner();
        close0();
    }

    private void close0() {
        if (closed) {
            return;
        }
        closed = true;
        if (ownsRegion) {
            region.close();
        } else {
            for (int i = 0; i < spanCount; i++) {
                // Not the cheap release: an arena's close promises that its segments throw from now
                // on, whatever the region does with the memory (a handshake per span, once per arena).
                region.releaseAndInvalidate(spans[i]);
            }
        }
        Arrays.fill(spans, null);
        spanCount = 0;
        heldBytes = 0; // publishes: no span is held any more
        current = -1;
        segment = null;
        cursor = 0;
        limit = 0;
        usedBefore = 0;
    }

    private void checkOwner() {
        if (Thread.currentThread() != owner) {
            throw new WrongThreadException("arena is confined to thread " + owner.getName()
                    + ": caller=" + Thread.currentThread().getName());
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("arena is closed");
        }
    }

    /**
     * Settings of a bump arena.
     *
     * <p>Thread-safety: not thread-safe; build on one thread.
     */
    public static final class Builder {
        private Region region;
        private String name = "bump";
        private long reserveBytes = Region.DEFAULT_RESERVE_BYTES;
        private boolean shared;
        private boolean zeroing = true;

        private Builder() {
        }

        /**
         * @param region a region to take spans from, kept open on close; by default the arena
         *        reserves a region of its own and closes it on close
         * @return this builder
         */
        public Builder region(Region region) {
            this.region = Objects.requireNonNull(region, "region");
            return this;
        }

        /**
         * @param name the arena's name, for messages and metrics, and the name of its own region
         *        (default {@code "bump"}); give arenas bound to one registry distinct names
         * @return this builder
         */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * @param bytes the reservation of the arena's own region (ignored with {@link #region(Region)})
         * @return this builder
         */
        public Builder reserve(long bytes) {
            this.reserveBytes = Checks.checkPositive("reserveBytes", bytes);
            return this;
        }

        /**
         * @param shared {@code true} to allow calls from any thread (serialised on a lock)
         * @return this builder
         */
        public Builder shared(boolean shared) {
            this.shared = shared;
            return this;
        }

        /**
         * @param zeroing {@code false} to hand out blocks with whatever bytes they hold
         * @return this builder
         */
        public Builder zeroing(boolean zeroing) {
            this.zeroing = zeroing;
            return this;
        }

        /**
         * @return the arena, confined to the calling thread unless shared
         * @throws dev.offheap.allocator.NativeCallException if its own region cannot be reserved
         */
        public BumpArena build() {
            return new BumpArena(this);
        }
    }
}
