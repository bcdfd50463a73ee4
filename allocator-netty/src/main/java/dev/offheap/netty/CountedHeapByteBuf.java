package dev.offheap.netty;

import io.netty.buffer.UnpooledHeapByteBuf;

/**
 * A heap buffer of {@link OffHeapByteBufAllocator}: Netty's unpooled heap buffer, whose arrays are
 * counted in the allocator's {@code usedHeapMemory} (as Netty's unpooled allocator counts its own).
 *
 * <p>Thread-safety: as every Netty buffer (the reference count is atomic; the counter is striped).
 */
final class CountedHeapByteBuf extends UnpooledHeapByteBuf {
    CountedHeapByteBuf(OffHeapByteBufAllocator alloc, int initialCapacity, int maxCapacity) {
        super(alloc, initialCapacity, maxCapacity);
    }

    private OffHeapByteBufMetric metric() {
        // alloc() is set by the super constructor before its first allocateArray call.
        return ((OffHeapByteBufAllocator) alloc()).metricCounters();
    }

    @Override
    protected byte[] allocateArray(int initialCapacity) {
        byte[] array = super.allocateArray(initialCapacity);
        metric().heapAllocated(array.length);
        return array;
    }

    @Override
    protected void freeArray(byte[] array) {
        int length = array.length;
        super.freeArray(array);
        metric().heapFreed(length);
    }
}
