package dev.offheap.allocator.internal;

import java.lang.foreign.MemorySegment;

/**
 * Zeroes a range of a segment the caller holds (a span's scoped segment: a closed scope throws,
 * never touches unmapped memory), with no slice object and no garbage per call: copied from a
 * shared zero segment, one bounds and scope check per 64 KiB. (A loop of 8-byte stores pays those
 * checks per store: 64 B alloc + free measured 52.6 ns with it against 39.2 ns with the copy,
 * {@code SlabFastPathBenchmark.slabAllocateFree}, 2 forks.)
 *
 * <p>Thread-safety: stateless; the caller owns the range.
 */
public final class Zeroing {
    /** 64 KiB of zeros, never written; on the heap, so no native memory outside the regions. */
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[64 * 1024]);

    private Zeroing() {
    }

    /**
     * Zeroes {@code [offset, offset + byteSize)} of {@code memory}.
     *
     * @param memory the segment that holds the range
     * @param offset where the range starts, in bytes from the segment's start
     * @param byteSize the bytes to zero, {@code >= 0}
     * @throws IndexOutOfBoundsException if the range is not inside {@code memory}
     * @throws IllegalStateException if the segment's scope is closed
     */
    public static void zero(MemorySegment memory, long offset, long byteSize) {
        while (byteSize > 0) {
            long step = Math.min(byteSize, ZEROS.byteSize());
            MemorySegment.copy(ZEROS, 0, memory, offset, step);
            offset += step;
            byteSize -= step;
        }
    }
}
