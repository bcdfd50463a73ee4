package dev.offheap.allocator.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Zeroes a range of a segment the caller holds (a span's scoped segment: a closed scope throws,
 * never touches unmapped memory), with no slice object and no garbage per call: small ranges by
 * 8-byte stores (no native call), larger ones copied from a shared zero segment.
 *
 * <p>Thread-safety: stateless; the caller owns the range.
 */
public final class Zeroing {
    /** Up to this many bytes, stores in a loop beat the native {@code setMemory} call. */
    private static final long STORE_LOOP_BYTES = 256;
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
        if (byteSize <= STORE_LOOP_BYTES && (byteSize & 7) == 0) {
            for (long at = offset, end = offset + byteSize; at < end; at += 8) {
                memory.set(ValueLayout.JAVA_LONG_UNALIGNED, at, 0L);
            }
            return;
        }
        while (byteSize > 0) {
            long step = Math.min(byteSize, ZEROS.byteSize());
            MemorySegment.copy(ZEROS, 0, memory, offset, step);
            offset += step;
            byteSize -= step;
        }
    }
}
