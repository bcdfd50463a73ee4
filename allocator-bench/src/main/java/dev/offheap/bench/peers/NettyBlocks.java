package dev.offheap.bench.peers;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * Netty's pooled direct buffers, the allocator most JVM network services already use. Thread caches
 * are on for every thread (JMH's threads are not Netty event loops). Leak detection is whatever the
 * fork's {@code -Dio.netty.leakDetection.level} says; the benchmarks set it to {@code disabled} so
 * the allocator itself is measured.
 *
 * <p>Thread-safe, as Netty's allocators are; a buffer may be released by another thread.
 */
public final class NettyBlocks implements ObjectBlocks<ByteBuf> {
    private final ByteBufAllocator allocator;

    private NettyBlocks(ByteBufAllocator allocator) {
        this.allocator = allocator;
    }

    /** {@return a peer over a new {@code PooledByteBufAllocator} (direct, caches for all threads)} */
    public static NettyBlocks pooled() {
        return new NettyBlocks(new PooledByteBufAllocator(true,
                PooledByteBufAllocator.defaultNumHeapArena(), PooledByteBufAllocator.defaultNumDirectArena(),
                PooledByteBufAllocator.defaultPageSize(), PooledByteBufAllocator.defaultMaxOrder(),
                PooledByteBufAllocator.defaultSmallCacheSize(), PooledByteBufAllocator.defaultNormalCacheSize(),
                true));
    }

    /** {@return a peer over a new {@code AdaptiveByteBufAllocator} (direct, caches for all threads)} */
    public static NettyBlocks adaptive() {
        return new NettyBlocks(new AdaptiveByteBufAllocator(true, true));
    }

    @Override
    public ByteBuf allocate(long byteSize) {
        int size = Math.toIntExact(byteSize);
        ByteBuf block = allocator.directBuffer(size, size);
        block.setByte(0, 1);
        block.setByte(size - 1, 1);
        return block;
    }

    /** Trims the calling thread's cache of a pooled allocator (Netty has no call that frees its chunks). */
    @Override
    public boolean trim() {
        return allocator instanceof PooledByteBufAllocator pooled && pooled.trimCurrentThreadCache();
    }

    @Override
    public void free(ByteBuf block) {
        block.release();
    }
}
