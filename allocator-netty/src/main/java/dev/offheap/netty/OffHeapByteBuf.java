package dev.offheap.netty;

import dev.offheap.allocator.ownership.MemoryBlock;
import io.netty.buffer.AbstractReferenceCountedByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ScatteringByteChannel;
import java.util.Objects;

/**
 * A direct {@link ByteBuf} whose memory is one {@link MemoryBlock} of an {@code OffHeap}: the block
 * is closed (freed) exactly once, when the reference count reaches zero.
 *
 * <p>Thread-safety: as every Netty buffer: the reference count is atomic, indexes and contents are
 * the owner's to guard; concurrent {@code get*} calls on an unchanging buffer are safe (they use
 * fresh NIO views, never the internal one).
 *
 * <p>Every byte is read and written through the block's {@link MemorySegment} (or a
 * {@link ByteBuffer} view of it), so the JVM bounds each access to the block's usable bytes and
 * to the region's scope; Netty's own index and reference-count checks come first. After
 * {@link #deallocate()} the segment is {@link MemorySegment#NULL}: even with Netty's
 * {@code io.netty.buffer.checkAccessible=false} an access throws instead of touching memory the
 * block no longer owns. There is no raw address ({@link #hasMemoryAddress()} is false) for the
 * same reason.
 *
 * <p>Capacity: {@link #capacity()} is what was asked for; the block's usable bytes
 * ({@link MemoryBlock#byteSize()}, the size class) may be more. {@link #capacity(int)} changes it in
 * place while the new capacity fits the block and, when shrinking, still uses more than half of it
 * (or the block is at most {@value #SMALL_BLOCK_BYTES} bytes); otherwise it moves to a new block
 * (allocate, copy, close the old one), as Netty's pooled buffers do.
 */
final class OffHeapByteBuf extends AbstractReferenceCountedByteBuf {
    /** At most this many usable bytes, a shrink never moves: the copy would cost more than it saves. */
    static final int SMALL_BLOCK_BYTES = 512;

    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Streams are copied through a heap array of at most this many bytes at a time. */
    private static final int STREAM_CHUNK_BYTES = 8192;

    private final OffHeapByteBufAllocator alloc;
    /** The block owned; null once deallocated. */
    private MemoryBlock block;
    /** The block's segment (its usable bytes); {@link MemorySegment#NULL} once deallocated. */
    private MemorySegment memory;
    /**
     * A view of {@link #memory}, made on first NIO use; dropped when the block changes. Volatile:
     * derived buffers used on several event loops (a broadcast {@code retainedDuplicate()}) make
     * and read it concurrently, and a view published without a fence could be seen before its
     * address is.
     */
    private volatile ByteBuffer nioView;
    /** A duplicate of {@link #nioView} that {@link #internalNioBuffer} repositions, as Netty's; volatile as above. */
    private volatile ByteBuffer internalNio;
    private int capacity;

    OffHeapByteBuf(OffHeapByteBufAllocator alloc, int initialCapacity, int maxCapacity) {
        super(maxCapacity);
        this.alloc = alloc;
        useBlock(alloc.newBlock(initialCapacity), initialCapacity);
    }

    /** A buffer over a block kept for reuse: its segment and views come with it (see {@link HeldBlocks}). */
    OffHeapByteBuf(OffHeapByteBufAllocator alloc, HeldBlocks.Held held, int initialCapacity, int maxCapacity) {
        super(maxCapacity);
        this.alloc = alloc;
        block = held.block();
        memory = held.memory();
        nioView = held.nioView();
        internalNio = held.internalNio();
        capacity = initialCapacity;
    }

    private void useBlock(MemoryBlock newBlock, int newCapacity) {
        block = newBlock;
        memory = newBlock.segment();
        nioView = null;
        internalNio = null;
        capacity = newCapacity;
    }

    private ByteBuffer nioView() {
        ByteBuffer view = nioView;
        if (view == null) {
            view = newView();
            nioView = view;
        }
        return view;
    }

    /**
     * {@return a new view of the whole block} No slice first when the block fits one buffer, as it
     * does unless its usable bytes round up past {@code Integer.MAX_VALUE} (a {@code ByteBuffer}'s
     * most; the capacity never exceeds it).
     */
    private ByteBuffer newView() {
        return (memory.byteSize() <= Integer.MAX_VALUE ? memory : memory.asSlice(0, Integer.MAX_VALUE)).asByteBuffer();
    }

    /**
     * Copies {@code src[offset, offset + length)} to the writer index and moves it on, growing the
     * buffer as {@code writeBytes} does; no view is made. For {@link ByteBufSegments}.
     */
    void writeSegment(MemorySegment src, long offset, int length) {
        Objects.checkFromIndexSize(offset, length, src.byteSize());
        ensureWritable(length);
        int at = writerIndex();
        MemorySegment.copy(src, offset, memory, at, length);
        writerIndex(at + length);
    }

    /**
     * Copies {@code length} bytes from the reader index to {@code dst[offset, offset + length)} and
     * moves the reader index on; no view is made. For {@link ByteBufSegments}.
     */
    void readSegment(MemorySegment dst, long offset, int length) {
        Objects.checkFromIndexSize(offset, length, dst.byteSize());
        checkReadableBytes(length);
        int at = readerIndex();
        MemorySegment.copy(memory, at, dst, offset, length);
        readerIndex(at + length);
    }

    /** {@return a fresh view of {@code [index, index + length)}, positioned at 0} Indexes checked by the caller. */
    private ByteBuffer freshView(int index, int length) {
        return nioView().slice(index, length);
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public ByteBuf capacity(int newCapacity) {
        checkNewCapacity(newCapacity);
        int oldCapacity = capacity;
        if (newCapacity == oldCapacity) {
            return this;
        }
        long usable = memory.byteSize();
        boolean fits = newCapacity <= usable;
        boolean growing = newCapacity > oldCapacity;
        if (fits && (growing || newCapacity > usable >>> 1 || usable <= SMALL_BLOCK_BYTES)) {
            if (!growing) {
                trimIndicesToCapacity(newCapacity);
            }
            capacity = newCapacity;
            return this;
        }
        MemoryBlock moved = alloc.newBlock(newCapacity); // throws before anything changed if memory is short
        MemorySegment.copy(memory, 0, moved.segment(), 0, Math.min(oldCapacity, newCapacity));
        if (!growing) {
            trimIndicesToCapacity(newCapacity);
        }
        MemoryBlock old = block;
        useBlock(moved, newCapacity);
        alloc.freeBlock(old);
        return this;
    }

    @Override
    protected void deallocate() {
        MemoryBlock owned = block;
        if (owned == null) {
            return; // AbstractReferenceCountedByteBuf calls this once; the guard keeps it so
        }
        MemorySegment ownedMemory = memory;
        ByteBuffer view = nioView;
        ByteBuffer internal = internalNio;
        block = null;
        memory = MemorySegment.NULL;
        nioView = null;
        internalNio = null;
        alloc.release(owned, ownedMemory, view, internal);
    }

    @Override
    public ByteBufAllocator alloc() {
        return alloc;
    }

    @Override
    @SuppressWarnings("deprecation")
    public ByteOrder order() {
        return ByteOrder.BIG_ENDIAN;
    }

    @Override
    public ByteBuf unwrap() {
        return null;
    }

    @Override
    public boolean isDirect() {
        return true;
    }

    @Override
    public boolean isContiguous() {
        return true;
    }

    @Override
    public boolean hasArray() {
        return false;
    }

    @Override
    public byte[] array() {
        throw new UnsupportedOperationException("direct buffer has no array: buffer=" + this);
    }

    @Override
    public int arrayOffset() {
        throw new UnsupportedOperationException("direct buffer has no array: buffer=" + this);
    }

    /** {@return false: every access goes through the block's bounded segment, never a raw address} */
    @Override
    public boolean hasMemoryAddress() {
        return false;
    }

    @Override
    public long memoryAddress() {
        throw new UnsupportedOperationException("off-heap buffer exposes no raw address: buffer=" + this);
    }

    // Primitive access. AbstractByteBuf has checked the index and the reference count.

    @Override
    protected byte _getByte(int index) {
        return memory.get(ValueLayout.JAVA_BYTE, index);
    }

    @Override
    protected short _getShort(int index) {
        return memory.get(SHORT_BE, index);
    }

    @Override
    protected short _getShortLE(int index) {
        return memory.get(SHORT_LE, index);
    }

    @Override
    protected int _getUnsignedMedium(int index) {
        return (_getByte(index) & 0xff) << 16 | (_getByte(index + 1) & 0xff) << 8 | _getByte(index + 2) & 0xff;
    }

    @Override
    protected int _getUnsignedMediumLE(int index) {
        return _getByte(index) & 0xff | (_getByte(index + 1) & 0xff) << 8 | (_getByte(index + 2) & 0xff) << 16;
    }

    @Override
    protected int _getInt(int index) {
        return memory.get(INT_BE, index);
    }

    @Override
    protected int _getIntLE(int index) {
        return memory.get(INT_LE, index);
    }

    @Override
    protected long _getLong(int index) {
        return memory.get(LONG_BE, index);
    }

    @Override
    protected long _getLongLE(int index) {
        return memory.get(LONG_LE, index);
    }

    @Override
    protected void _setByte(int index, int value) {
        memory.set(ValueLayout.JAVA_BYTE, index, (byte) value);
    }

    @Override
    protected void _setShort(int index, int value) {
        memory.set(SHORT_BE, index, (short) value);
    }

    @Override
    protected void _setShortLE(int index, int value) {
        memory.set(SHORT_LE, index, (short) value);
    }

    @Override
    protected void _setMedium(int index, int value) {
        _setByte(index, value >>> 16);
        _setByte(index + 1, value >>> 8);
        _setByte(index + 2, value);
    }

    @Override
    protected void _setMediumLE(int index, int value) {
        _setByte(index, value);
        _setByte(index + 1, value >>> 8);
        _setByte(index + 2, value >>> 16);
    }

    @Override
    protected void _setInt(int index, int value) {
        memory.set(INT_BE, index, value);
    }

    @Override
    protected void _setIntLE(int index, int value) {
        memory.set(INT_LE, index, value);
    }

    @Override
    protected void _setLong(int index, long value) {
        memory.set(LONG_BE, index, value);
    }

    @Override
    protected void _setLongLE(int index, long value) {
        memory.set(LONG_LE, index, value);
    }

    // Bulk access.

    @Override
    public ByteBuf getBytes(int index, ByteBuf dst, int dstIndex, int length) {
        checkDstIndex(index, length, dstIndex, dst.capacity());
        if (dst instanceof OffHeapByteBuf other) {
            other.ensureAccessible();
            MemorySegment.copy(memory, index, other.memory, dstIndex, length);
        } else if (dst.hasArray()) {
            getBytes(index, dst.array(), dst.arrayOffset() + dstIndex, length);
        } else if (dst.nioBufferCount() > 0) {
            for (ByteBuffer part : dst.nioBuffers(dstIndex, length)) {
                int partLength = part.remaining();
                getBytes(index, part);
                index += partLength;
            }
        } else {
            dst.setBytes(dstIndex, this, index, length);
        }
        return this;
    }

    @Override
    public ByteBuf getBytes(int index, byte[] dst, int dstIndex, int length) {
        checkDstIndex(index, length, dstIndex, dst.length);
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, index, dst, dstIndex, length);
        return this;
    }

    @Override
    public ByteBuf getBytes(int index, ByteBuffer dst) {
        int length = dst.remaining();
        checkIndex(index, length);
        int position = dst.position();
        dst.put(position, nioView(), index, length); // absolute: a read-only dst throws ReadOnlyBufferException
        dst.position(position + length);
        return this;
    }

    @Override
    public ByteBuf getBytes(int index, OutputStream out, int length) throws IOException {
        checkIndex(index, length);
        byte[] chunk = new byte[Math.min(length, STREAM_CHUNK_BYTES)];
        for (int done = 0; done < length; ) {
            int n = Math.min(chunk.length, length - done);
            MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, index + done, chunk, 0, n);
            out.write(chunk, 0, n);
            done += n;
        }
        return this;
    }

    @Override
    public int getBytes(int index, GatheringByteChannel out, int length) throws IOException {
        checkIndex(index, length);
        return length == 0 ? 0 : out.write(freshView(index, length));
    }

    @Override
    public int getBytes(int index, FileChannel out, long position, int length) throws IOException {
        checkIndex(index, length);
        return length == 0 ? 0 : out.write(freshView(index, length), position);
    }

    @Override
    public ByteBuf setBytes(int index, ByteBuf src, int srcIndex, int length) {
        checkSrcIndex(index, length, srcIndex, src.capacity());
        if (src instanceof OffHeapByteBuf other) {
            other.ensureAccessible();
            MemorySegment.copy(other.memory, srcIndex, memory, index, length); // overlap-safe, as memmove
        } else if (src.hasArray()) {
            setBytes(index, src.array(), src.arrayOffset() + srcIndex, length);
        } else if (src.nioBufferCount() > 0) {
            for (ByteBuffer part : src.nioBuffers(srcIndex, length)) {
                int partLength = part.remaining();
                setBytes(index, part);
                index += partLength;
            }
        } else {
            src.getBytes(srcIndex, this, index, length);
        }
        return this;
    }

    @Override
    public ByteBuf setBytes(int index, byte[] src, int srcIndex, int length) {
        checkSrcIndex(index, length, srcIndex, src.length);
        MemorySegment.copy(src, srcIndex, memory, ValueLayout.JAVA_BYTE, index, length);
        return this;
    }

    @Override
    public ByteBuf setBytes(int index, ByteBuffer src) {
        int length = src.remaining();
        checkIndex(index, length);
        int position = src.position();
        nioView().put(index, src, position, length); // absolute bulk put copies as if through a temporary
        src.position(position + length);
        return this;
    }

    @Override
    public int setBytes(int index, InputStream in, int length) throws IOException {
        checkIndex(index, length);
        byte[] chunk = new byte[Math.min(length, STREAM_CHUNK_BYTES)];
        int read = in.read(chunk, 0, chunk.length); // one read, as Netty's: the count says how much came
        if (read > 0) {
            MemorySegment.copy(chunk, 0, memory, ValueLayout.JAVA_BYTE, index, read);
        }
        return read;
    }

    @Override
    public int setBytes(int index, ScatteringByteChannel in, int length) throws IOException {
        checkIndex(index, length);
        try {
            return in.read(freshView(index, length));
        } catch (ClosedChannelException closed) {
            return -1; // Netty's convention: the channel is at its end
        }
    }

    @Override
    public int setBytes(int index, FileChannel in, long position, int length) throws IOException {
        checkIndex(index, length);
        try {
            return in.read(freshView(index, length), position);
        } catch (ClosedChannelException closed) {
            return -1;
        }
    }

    @Override
    public ByteBuf copy(int index, int length) {
        checkIndex(index, length);
        ByteBuf copy = alloc.directBuffer(length, maxCapacity());
        return copy.writeBytes(this, index, length);
    }

    // NIO views: one contiguous buffer over the block.

    @Override
    public int nioBufferCount() {
        return 1;
    }

    @Override
    public ByteBuffer nioBuffer(int index, int length) {
        checkIndex(index, length);
        return freshView(index, length);
    }

    @Override
    public ByteBuffer[] nioBuffers(int index, int length) {
        return new ByteBuffer[] {nioBuffer(index, length)};
    }

    @Override
    public ByteBuffer internalNioBuffer(int index, int length) {
        checkIndex(index, length);
        ByteBuffer internal = internalNio;
        if (internal == null) {
            internal = newView(); // a view of its own, not a duplicate of nioView: one buffer made, not three
            internalNio = internal;
        }
        return internal.clear().position(index).limit(index + length);
    }
}
