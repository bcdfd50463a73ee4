package dev.offheap.netty;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PoolArenaMetric;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * The contract on Netty's own pooled allocator: the reference the adapter is compared with. Thread
 * caches are off so that every release reaches the arena and its live-allocation count (with them
 * on, a freed buffer waits in the cache and the count does not drop); otherwise the settings are
 * {@link PooledByteBufAllocator#DEFAULT}'s.
 */
class PooledDirectByteBufContractTest extends DirectByteBufContract {
    private PooledByteBufAllocator pooled;

    @Override
    protected ByteBufAllocator create() {
        pooled = new PooledByteBufAllocator(true, 1, 1, PooledByteBufAllocator.defaultPageSize(),
                PooledByteBufAllocator.defaultMaxOrder(), 0, 0, false);
        return pooled;
    }

    @Override
    protected long liveBlocks() {
        long live = 0;
        for (PoolArenaMetric arena : pooled.metric().directArenas()) {
            live += arena.numActiveAllocations();
        }
        return live;
    }

    @Override
    protected void destroy() {
        // Netty's pooled allocator has no close: its chunks go when it is collected.
    }

    @Override
    protected int expectedRetainedSliceRefCnt() {
        return 1; // PooledSlicedByteBuf counts on its own and holds one reference to the parent
    }

    @Override
    protected boolean expectedHasMemoryAddress() {
        // With Unsafe (before Java 25) PooledUnsafeDirectByteBuf; without it (Netty 4.2's default on
        // Java 25+) PooledDirectByteBuf over a buffer whose address Netty reads: an address either way.
        return true;
    }

    @Override
    protected boolean expectedBufferIsDirect() {
        return io.netty.util.internal.PlatformDependent.canReliabilyFreeDirectBuffers();
    }
}
