package dev.offheap.netty;

import io.netty.buffer.ByteBufAllocatorMetric;

import java.util.concurrent.atomic.LongAdder;

/**
 * What an {@link OffHeapByteBufAllocator}'s live buffers hold: the usable bytes of the blocks its
 * direct buffers own, and the arrays of its heap buffers. The {@code OffHeap}'s own figures (all of
 * its users, committed and reserved memory, leaks) are its snapshot's and its Micrometer binder's.
 *
 * <p>Thread-safety: thread-safe; striped counters, summed on read.
 */
final class OffHeapByteBufMetric implements ByteBufAllocatorMetric {
    private final LongAdder directBytes = new LongAdder();
    private final LongAdder directBuffers = new LongAdder();
    private final LongAdder heapBytes = new LongAdder();

    void directAllocated(long bytes) {
        directBytes.add(bytes);
        directBuffers.increment();
    }

    void directFreed(long bytes) {
        directBytes.add(-bytes);
        directBuffers.decrement();
    }

    void heapAllocated(long bytes) {
        heapBytes.add(bytes);
    }

    void heapFreed(long bytes) {
        heapBytes.add(-bytes);
    }

    /** {@return blocks held by direct buffers (a buffer that moved to a bigger block counts once)} */
    long directBlocks() {
        return directBuffers.sum();
    }

    @Override
    public long usedHeapMemory() {
        return heapBytes.sum();
    }

    @Override
    public long usedDirectMemory() {
        return directBytes.sum();
    }

    @Override
    public String toString() {
        return "OffHeapByteBufMetric[usedDirectMemory=" + usedDirectMemory() + ", directBlocks=" + directBlocks()
                + ", usedHeapMemory=" + usedHeapMemory() + "]";
    }
}
