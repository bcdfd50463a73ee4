package dev.offheap.netty;

import dev.offheap.allocator.facade.OffHeap;
import io.netty.buffer.ByteBufAllocator;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The contract on {@link OffHeapByteBufAllocator}, each test on a fresh {@link OffHeap}; live blocks
 * are the {@code OffHeap} snapshot's, so "freed exactly once" is checked by the library's own
 * accounting, and each test ends with no leak reported and the adapter's count at zero too.
 */
class OffHeapDirectByteBufContractTest extends DirectByteBufContract {
    private OffHeap offHeap;
    private OffHeapByteBufAllocator adapter;

    @Override
    protected ByteBufAllocator create() {
        offHeap = OffHeap.builder().name("netty-contract").reserve(1L << 30).build();
        adapter = new OffHeapByteBufAllocator(offHeap);
        return adapter;
    }

    @Override
    protected long liveBlocks() {
        return offHeap.snapshot().liveBlocks();
    }

    @Override
    protected void destroy() {
        try {
            assertEquals(0, adapter.liveDirectBuffers());
            assertEquals(0, adapter.metric().usedDirectMemory());
            assertEquals(0, offHeap.snapshot().leaks());
            assertEquals(0, offHeap.snapshot().doubleFrees());
        } finally {
            offHeap.close();
        }
    }

    @Override
    protected int expectedRetainedSliceRefCnt() {
        return 2; // Netty's unpooled derived buffers: the slice shows the parent's count
    }

    @Override
    protected boolean expectedHasMemoryAddress() {
        return false; // no raw address: every access is bounded by the block's segment
    }

    @Override
    protected boolean expectedBufferIsDirect() {
        return true; // buffer() is always direct: these buffers can always be freed
    }
}
