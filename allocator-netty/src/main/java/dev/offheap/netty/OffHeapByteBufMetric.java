package dev.offheap.netty;

import dev.offheap.allocator.metrics.StripedCounter;
import io.netty.buffer.ByteBufAllocatorMetric;

/**
 * What an {@link OffHeapByteBufAllocator}'s live buffers hold: the usable bytes of the blocks its
 * direct buffers own, and the arrays of its heap buffers. The {@code OffHeap}'s own figures (all of
 * its users, committed and reserved memory, leaks) are its snapshot's and its Micrometer binder's.
 *
 * <p>A direct buffer's block is counted with one atomic add when it is taken and one when it is
 * given back: bytes and the block count share one {@link StripedCounter}, the count in the bits
 * above {@link #BYTES_BITS}. The total is exact however the adds spread over cells (a cell may go
 * negative when another thread frees what this one allocated); its fields split cleanly while the
 * live bytes stay under 2<sup>44</sup> (16 TiB). Two {@code LongAdder}s per event took about 6 % of
 * the memcached example's event-loop samples under memcaslap: a {@code LongAdder} CASes a shared
 * base until it sees contention.
 *
 * <p>Thread-safety: thread-safe; striped counters, summed on read.
 */
final class OffHeapByteBufMetric implements ByteBufAllocatorMetric {
    /** Low bits of the direct counter that hold bytes; the block count is above them. */
    static final int BYTES_BITS = 44;

    private final StripedCounter direct = new StripedCounter();
    private final StripedCounter heapBytes = new StripedCounter();

    void directAllocated(long bytes) {
        direct.add((1L << BYTES_BITS) + bytes);
    }

    void directFreed(long bytes) {
        direct.add(-((1L << BYTES_BITS) + bytes));
    }

    void heapAllocated(long bytes) {
        heapBytes.add(bytes);
    }

    void heapFreed(long bytes) {
        heapBytes.add(-bytes);
    }

    /** {@return blocks held by direct buffers (a buffer that moved to a bigger block counts once)} */
    long directBlocks() {
        return direct.sum() >>> BYTES_BITS;
    }

    @Override
    public long usedHeapMemory() {
        return heapBytes.sum();
    }

    @Override
    public long usedDirectMemory() {
        return direct.sum() & ((1L << BYTES_BITS) - 1);
    }

    @Override
    public String toString() {
        return "OffHeapByteBufMetric[usedDirectMemory=" + usedDirectMemory() + ", directBlocks=" + directBlocks()
                + ", usedHeapMemory=" + usedHeapMemory() + "]";
    }
}
