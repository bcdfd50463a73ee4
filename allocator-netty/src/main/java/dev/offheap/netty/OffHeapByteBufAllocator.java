package dev.offheap.netty;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.ownership.MemoryBlock;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A Netty {@link ByteBufAllocator} whose direct buffers are blocks of an {@link OffHeap}: small
 * buffers come from its slab, larger ones from its free list or a span of their own, and memory
 * that falls idle goes back to the OS after the {@code OffHeap}'s decay delay or on
 * {@link OffHeap#trim()}. Heap buffers are Netty's unpooled heap buffers.
 *
 * <p>Thread-safety: thread-safe; any thread may allocate, and a buffer may be released on any
 * thread (a block freed by another thread goes back through the slab's remote-free path). Each
 * buffer is as thread-safe as Netty's own: an atomic reference count, contents guarded by the
 * caller.
 *
 * <h2>Semantics</h2>
 * <ul>
 *   <li>Each direct buffer owns one {@link MemoryBlock} ({@link OffHeap#allocateBlock(long)}); when
 *       its reference count reaches zero the block is closed, exactly once. Any later access throws
 *       Netty's {@link io.netty.util.IllegalReferenceCountException}.</li>
 *   <li>{@link ByteBuf#capacity(int)} stays in the block while the block's usable bytes allow it,
 *       else moves to a new block (allocate, copy, free), as Netty's pooled buffers do.</li>
 *   <li>{@link ByteBuf#hasMemoryAddress()} is false: the buffer never hands out a raw address,
 *       every access is bounded by the block's segment (the library's safety rule). Netty's
 *       transports use {@link ByteBuf#nioBuffers()} instead, which work as for any direct buffer.</li>
 *   <li>{@code buffer()} and {@code ioBuffer()} always return direct buffers: these can always be
 *       freed, whatever Netty's {@code PlatformDependent} says about the JDK's direct buffers.</li>
 *   <li>Slices and duplicates are Netty's unpooled derived buffers: they share the parent's
 *       reference count (Netty's pooled allocator gives a {@code retainedSlice()} a count of its own).</li>
 *   <li>When the {@code OffHeap}'s limit is reached an allocation throws
 *       {@link OutOfOffHeapMemoryException} (Netty's pooled allocator throws an
 *       {@link OutOfMemoryError}).</li>
 * </ul>
 *
 * <h2>Leaks</h2>
 * A buffer that becomes unreachable while it still owns its block is reported by the
 * {@code OffHeap}'s leak detection (its {@code LeakDetection} level and {@code LeakListener};
 * counted in its snapshot's {@code leaks}), and, when Netty's {@code ResourceLeakDetector} is on,
 * by Netty too: direct buffers are wrapped by {@code toLeakAwareBuffer} as Netty's allocators do.
 * A leaked block is reported, not freed (a view of it may still be reachable).
 *
 * <h2>Metrics</h2>
 * {@link #metric()} reports the bytes this allocator's live buffers hold (direct: the blocks'
 * usable bytes; heap: the arrays), so Micrometer's {@code NettyAllocatorMetrics} can bind it; the
 * {@code OffHeap}'s own meters come from {@code dev.offheap.allocator.metrics.micrometer.OffHeapMetrics}.
 *
 * {@snippet :
 * OffHeap memory = OffHeap.builder().name("netty").limit(1L << 30).build();
 * ServerBootstrap server = new ServerBootstrap()
 *         .option(ChannelOption.ALLOCATOR, new OffHeapByteBufAllocator(memory))
 *         .childOption(ChannelOption.ALLOCATOR, new OffHeapByteBufAllocator(memory));
 * // ... after the event loops have shut down:
 * memory.close(); // reports any buffer never released
 * }
 */
public final class OffHeapByteBufAllocator extends AbstractByteBufAllocator implements ByteBufAllocatorMetricProvider {
    private final OffHeap offHeap;
    private final OffHeapByteBufMetric metric = new OffHeapByteBufMetric();
    /** Blocks event loops keep for reuse; null when the allocator keeps none. */
    private final HeldBlocks kept;

    /**
     * Makes an allocator over {@code offHeap}. The {@code OffHeap} stays the caller's: close it after
     * every buffer is released (after the event loops have shut down); its close reports buffers
     * still live as leaks and frees them.
     *
     * @param offHeap where direct buffers' memory comes from
     * @throws NullPointerException if {@code offHeap} is null
     */
    public OffHeapByteBufAllocator(OffHeap offHeap) {
        this(offHeap, false);
    }

    /**
     * Makes an allocator over {@code offHeap} that, with {@code keepReleasedBlocks}, keeps on each
     * Netty event-loop thread the block of the last direct buffer released there (up to 64 KiB,
     * one per thread) for the next buffer of its size made there: under request/response traffic
     * each read buffer then costs no block allocation or free, and no block handle, segment or NIO
     * view. Only the memory is reused, never the {@code ByteBuf}: a released buffer still throws on
     * access. A kept block is zeroed before reuse when the {@code OffHeap} zeroes
     * ({@link OffHeap#zeroing()}). Kept blocks are freed as their event loops end (Netty releases
     * its thread-locals then), or by {@link #releaseKeptBlocks()}; until then they count as live
     * blocks of the {@code OffHeap}, so shut the event loops down (or call
     * {@link #releaseKeptBlocks()}) before closing it. Other threads keep nothing.
     *
     * @param offHeap where direct buffers' memory comes from
     * @param keepReleasedBlocks whether event loops keep one released block each for reuse
     * @throws NullPointerException if {@code offHeap} is null
     */
    public OffHeapByteBufAllocator(OffHeap offHeap, boolean keepReleasedBlocks) {
        super(true);
        this.offHeap = Objects.requireNonNull(offHeap, "offHeap");
        this.kept = keepReleasedBlocks ? new HeldBlocks(this) : null;
    }

    /** {@return the {@code OffHeap} direct buffers come from} */
    public OffHeap offHeap() {
        return offHeap;
    }

    /**
     * {@inheritDoc}
     *
     * @throws OutOfOffHeapMemoryException if the {@code OffHeap}'s memory or limit is exhausted
     * @throws IllegalStateException if the {@code OffHeap} is closed
     */
    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        HeldBlocks.Held held = kept == null ? null : kept.take(initialCapacity);
        if (held == null) {
            return toLeakAwareBuffer(new OffHeapByteBuf(this, initialCapacity, maxCapacity));
        }
        if (offHeap.zeroing()) {
            held.memory().fill((byte) 0); // as the OffHeap would have handed it out
        }
        metric.directAllocated(held.memory().byteSize());
        return toLeakAwareBuffer(new OffHeapByteBuf(this, held, initialCapacity, maxCapacity));
    }

    /**
     * Frees every block the event loops keep for reuse ({@link #OffHeapByteBufAllocator(OffHeap, boolean)}),
     * from any thread; buffers made afterwards may keep blocks again. A no-op when nothing is kept.
     */
    public void releaseKeptBlocks() {
        if (kept != null) {
            kept.releaseAll();
        }
    }

    /** {@return how many released blocks event loops keep for reuse now: at most one per event loop} */
    public int keptBlocks() {
        return kept == null ? 0 : kept.count();
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return new CountedHeapByteBuf(this, initialCapacity, maxCapacity);
    }

    /** {@return true: direct buffers are blocks of the {@code OffHeap}'s pools} */
    @Override
    public boolean isDirectBufferPooled() {
        return true;
    }

    @Override
    public ByteBuf buffer() {
        return directBuffer();
    }

    @Override
    public ByteBuf buffer(int initialCapacity) {
        return directBuffer(initialCapacity);
    }

    @Override
    public ByteBuf buffer(int initialCapacity, int maxCapacity) {
        return directBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public ByteBuf ioBuffer() {
        return directBuffer();
    }

    @Override
    public ByteBuf ioBuffer(int initialCapacity) {
        return directBuffer(initialCapacity);
    }

    @Override
    public ByteBuf ioBuffer(int initialCapacity, int maxCapacity) {
        return directBuffer(initialCapacity, maxCapacity);
    }

    /**
     * {@return the bytes this allocator's live buffers hold} Direct: the usable bytes of the blocks
     * held by buffers not yet released (a leaked buffer's block stays counted, as it stays used in
     * the {@code OffHeap}); heap: the arrays of heap buffers not yet released.
     */
    @Override
    public ByteBufAllocatorMetric metric() {
        return metric;
    }

    /** {@return how many blocks direct buffers of this allocator hold now: 0 once all are released} */
    public long liveDirectBuffers() {
        return metric.directBlocks();
    }

    OffHeapByteBufMetric metricCounters() {
        return metric;
    }

    /** A block for a buffer of {@code capacity} bytes (at least one byte: the library has no empty block). */
    MemoryBlock newBlock(int capacity) {
        MemoryBlock block = offHeap.allocateBlock(Math.max(1, capacity));
        metric.directAllocated(block.byteSize());
        return block;
    }

    /**
     * Frees a buffer's block; called once per block (deallocate or a move). If the {@code OffHeap}
     * was closed first, its close has freed the block already and {@code close()} throws
     * {@link IllegalStateException}; the block stops counting here either way.
     */
    /** A buffer let go of its block: kept for reuse by this event loop, or freed. */
    void release(MemoryBlock block, MemorySegment memory, ByteBuffer nioView, ByteBuffer internalNio) {
        if (kept == null) {
            freeBlock(block);
            return;
        }
        metric.directFreed(memory.byteSize()); // no buffer holds it now, kept or not
        kept.offer(new HeldBlocks.Held(block, memory, nioView, internalNio));
    }

    /** Frees a block no buffer holds (kept, or refused by {@link HeldBlocks#offer}); counted when its buffer let go. */
    void freeKeptBlock(MemoryBlock block) {
        block.close();
    }

    void freeBlock(MemoryBlock block) {
        long bytes = block.byteSize();
        try {
            block.close();
        } finally {
            metric.directFreed(bytes);
        }
    }

    @Override
    public String toString() {
        return "OffHeapByteBufAllocator[offHeap=" + offHeap.name() + ", " + metric + "]";
    }
}
