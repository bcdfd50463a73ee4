package dev.offheap.netty;

import io.netty.buffer.ByteBuf;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Copies between a {@link MemorySegment} and a {@link ByteBuf} at the buffer's reader or writer
 * index, as {@code writeBytes(ByteBuffer)} and {@code readBytes(ByteBuffer)} do, but without making
 * a {@code ByteBuffer} view of the segment first. For a buffer of {@link OffHeapByteBufAllocator}
 * the copy is one {@link MemorySegment#copy} between the two segments and makes no object; any
 * other buffer (Netty's own, or one of this allocator wrapped by Netty's leak detector) gets
 * {@code writeBytes(segment.asSlice(...).asByteBuffer())}, the same bytes. A cache that serves
 * values from off-heap memory makes one or two such views per request otherwise: under memcaslap
 * they were a quarter of the example server's garbage.
 *
 * <p>Either way the buffer's own checks come first (reference count, bounds, growth up to its
 * maximum capacity), then the segment's (its bounds, its scope and thread), so a failed copy
 * leaves both indexes where they were.
 *
 * <p>Thread-safety: stateless; each call is as thread-safe as the buffer and segment it is given.
 */
public final class ByteBufSegments {
    private ByteBufSegments() {
    }

    /**
     * Writes {@code src[offset, offset + length)} at {@code dst}'s writer index and moves it on.
     *
     * @return {@code dst}
     * @throws IndexOutOfBoundsException if the range is outside {@code src}, or {@code dst} cannot
     *         grow to hold it
     * @throws io.netty.util.IllegalReferenceCountException if {@code dst} was released
     * @throws IllegalStateException if {@code src}'s scope is closed
     */
    public static ByteBuf writeBytes(ByteBuf dst, MemorySegment src, long offset, int length) {
        if (dst instanceof OffHeapByteBuf offHeap) {
            offHeap.writeSegment(src, offset, length);
            return dst;
        }
        Objects.checkFromIndexSize(offset, length, src.byteSize());
        return dst.writeBytes(src.asSlice(offset, length).asByteBuffer());
    }

    /**
     * Reads {@code length} bytes at {@code src}'s reader index into {@code dst[offset, offset + length)}
     * and moves the reader index on.
     *
     * @return {@code src}
     * @throws IndexOutOfBoundsException if {@code src} has fewer readable bytes or the range is
     *         outside {@code dst}
     * @throws io.netty.util.IllegalReferenceCountException if {@code src} was released
     * @throws IllegalStateException if {@code dst}'s scope is closed
     * @throws UnsupportedOperationException if {@code dst} is read-only
     */
    public static ByteBuf readBytes(ByteBuf src, MemorySegment dst, long offset, int length) {
        if (dst.isReadOnly()) {
            throw new UnsupportedOperationException("the destination segment is read-only");
        }
        if (src instanceof OffHeapByteBuf offHeap) {
            offHeap.readSegment(dst, offset, length);
            return src;
        }
        Objects.checkFromIndexSize(offset, length, dst.byteSize());
        return src.readBytes(dst.asSlice(offset, length).asByteBuffer());
    }
}
