package dev.offheap.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.util.IllegalReferenceCountException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cases every direct {@link ByteBuf} allocator must pass, run against Netty's pooled allocator
 * and against {@link OffHeapByteBufAllocator}, so a difference in behaviour shows up as a failing
 * case or as one of the {@code expected...} answers a subclass gives differently (those are the
 * rows of the table in {@code docs/netty.md}).
 *
 * <p>Each test gets a fresh allocator, and must end with every block it took given back: the
 * {@link #liveBlocks()} check after each test is part of the contract.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
abstract class DirectByteBufContract {
    protected ByteBufAllocator alloc;

    /** {@return a fresh allocator whose direct buffers are under test} */
    protected abstract ByteBufAllocator create();

    /** {@return direct blocks the allocator holds for buffers not yet freed, as its own accounting says} */
    protected abstract long liveBlocks();

    /** Releases what {@link #create()} made, after the per-test checks. */
    protected abstract void destroy();

    /** {@return {@code retainedSlice().refCnt()} on a fresh buffer: 1 if the slice counts on its own} */
    protected abstract int expectedRetainedSliceRefCnt();

    /** {@return whether direct buffers expose a raw memory address} */
    protected abstract boolean expectedHasMemoryAddress();

    /** {@return whether {@code buffer()} (no "direct" in the name) returns a direct buffer} */
    protected abstract boolean expectedBufferIsDirect();

    @BeforeEach
    void setUp() {
        alloc = create();
    }

    @AfterEach
    void everyBlockGivenBack() {
        try {
            assertEquals(0, liveBlocks(), "every buffer a test took must be freed by its end");
        } finally {
            destroy();
        }
    }

    @Test
    void writesAndReadsEveryPrimitiveInBothByteOrders() {
        ByteBuf buf = alloc.directBuffer(64);
        assertTrue(buf.isDirect());
        assertFalse(buf.hasArray());
        assertSame(alloc, buf.alloc());
        buf.writeByte(0x81).writeShort(0x1234).writeShortLE(0x1234).writeMedium(0x123456).writeMediumLE(0x123456)
                .writeInt(0xCAFEBABE).writeIntLE(0xCAFEBABE).writeLong(0x0102030405060708L)
                .writeLongLE(0x0102030405060708L).writeFloat(1.5f).writeDouble(-2.25);
        assertEquals((byte) 0x81, buf.readByte());
        assertEquals(0x1234, buf.readShort());
        assertEquals(0x1234, buf.readShortLE());
        assertEquals(0x123456, buf.readMedium());
        assertEquals(0x123456, buf.readMediumLE());
        assertEquals(0xCAFEBABE, buf.readInt());
        assertEquals(0xCAFEBABE, buf.readIntLE());
        assertEquals(0x0102030405060708L, buf.readLong());
        assertEquals(0x0102030405060708L, buf.readLongLE());
        assertEquals(1.5f, buf.readFloat());
        assertEquals(-2.25, buf.readDouble());
        // Big-endian in memory, as Netty's: the first byte of writeShort(0x1234) is 0x12.
        assertEquals(0x12, buf.getByte(1));
        assertEquals(0x34, buf.getByte(3));
        assertEquals(0, buf.readableBytes());
        buf.release();
    }

    @Test
    void readsAndWritesByteArraysAndOtherBuffers() {
        byte[] data = pattern(300);
        ByteBuf a = alloc.directBuffer(16);
        a.writeBytes(data);
        ByteBuf heap = alloc.heapBuffer(300);
        ByteBuf b = alloc.directBuffer(300);
        a.getBytes(0, heap, 300);
        heap.writerIndex(300);
        b.writeBytes(a, 10, 290);
        byte[] back = new byte[300];
        heap.getBytes(0, back);
        assertArrayEquals(data, back);
        byte[] tail = new byte[290];
        b.readBytes(tail);
        assertArrayEquals(Arrays.copyOfRange(data, 10, 300), tail);
        a.clear();
        assertEquals(5, a.writeCharSequence("hello", StandardCharsets.US_ASCII));
        assertEquals("hello", a.toString(StandardCharsets.US_ASCII));
        a.release();
        b.release();
        heap.release();
    }

    @Test
    void outOfBoundsAccessThrowsAndChangesNothing() {
        ByteBuf buf = alloc.directBuffer(8, 8);
        buf.writeLong(7);
        assertThrows(IndexOutOfBoundsException.class, () -> buf.getInt(6));
        assertThrows(IndexOutOfBoundsException.class, () -> buf.setByte(8, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> buf.getBytes(4, new byte[5]));
        assertThrows(IndexOutOfBoundsException.class, () -> buf.readBytes(9));
        assertEquals(7, buf.getLong(0));
        buf.release();
    }

    @Test
    void capacityGrowsOnWriteAndKeepsTheBytes() {
        ByteBuf buf = alloc.directBuffer(16);
        byte[] data = pattern(100_000);
        for (int i = 0; i < data.length; i += 1000) {
            buf.writeBytes(data, i, 1000); // grows many times, across the slab, free-list and large ranges
        }
        assertTrue(buf.capacity() >= data.length, "capacity=" + buf.capacity());
        byte[] back = new byte[data.length];
        buf.readBytes(back);
        assertArrayEquals(data, back);
        buf.release();
    }

    @Test
    void capacityShrinksKeepingThePrefixAndTrimmingIndexes() {
        byte[] data = pattern(100_000);
        ByteBuf buf = alloc.directBuffer(data.length);
        buf.writeBytes(data);
        buf.readerIndex(50);
        buf.capacity(100);
        assertEquals(100, buf.capacity());
        assertEquals(50, buf.readerIndex());
        assertEquals(100, buf.writerIndex());
        buf.capacity(10);
        assertEquals(10, buf.readerIndex());
        assertEquals(10, buf.writerIndex());
        buf.capacity(5000); // and grows again from the small block
        byte[] prefix = new byte[10];
        buf.getBytes(0, prefix);
        assertArrayEquals(Arrays.copyOf(data, 10), prefix);
        assertEquals(5000, buf.capacity());
        buf.release();
    }

    @Test
    void maxCapacityIsHonoured() {
        ByteBuf buf = alloc.directBuffer(8, 16);
        assertEquals(16, buf.maxCapacity());
        buf.writeBytes(new byte[16]);
        assertEquals(16, buf.capacity());
        assertThrows(IndexOutOfBoundsException.class, () -> buf.writeByte(1));
        assertThrows(IllegalArgumentException.class, () -> buf.capacity(17));
        assertEquals(16, buf.capacity());
        assertThrows(IllegalArgumentException.class, () -> alloc.directBuffer(17, 16));
        buf.release();
    }

    @Test
    void releaseToZeroFreesTheBlockExactlyOnce() {
        long before = liveBlocks();
        ByteBuf buf = alloc.directBuffer(64);
        assertEquals(before + 1, liveBlocks());
        buf.retain();
        assertEquals(2, buf.refCnt());
        assertFalse(buf.release());
        assertEquals(before + 1, liveBlocks(), "refCnt 1: the block is still owned");
        assertTrue(buf.release());
        assertEquals(0, buf.refCnt());
        assertEquals(before, liveBlocks(), "refCnt 0: the block is freed, once");
    }

    @Test
    void secondReleaseThrowsAndFreesNothingMore() {
        ByteBuf other = alloc.directBuffer(64); // a live neighbour a second free could corrupt
        other.writeLong(42);
        long before = liveBlocks();
        ByteBuf buf = alloc.directBuffer(64);
        assertTrue(buf.release());
        assertThrows(IllegalReferenceCountException.class, buf::release);
        assertThrows(IllegalReferenceCountException.class, () -> buf.release(1));
        assertEquals(before, liveBlocks());
        assertEquals(42, other.getLong(0));
        other.release();
    }

    @Test
    void everyAccessAfterReleaseThrowsIllegalReferenceCount() {
        ByteBuf buf = alloc.directBuffer(64);
        buf.writeLong(1);
        buf.release();
        Executable[] uses = {
                () -> buf.getByte(0), () -> buf.getLong(0), () -> buf.setInt(0, 1), () -> buf.writeByte(1),
                () -> buf.readByte(), () -> buf.getBytes(0, new byte[4]), () -> buf.setBytes(0, new byte[4]),
                buf::nioBuffer, () -> buf.nioBuffers(), () -> buf.capacity(128), buf::duplicate, buf::slice,
                buf::retainedSlice, buf::retain, buf::copy, () -> buf.internalNioBuffer(0, 1),
        };
        for (Executable use : uses) {
            assertThrows(IllegalReferenceCountException.class, use);
        }
    }

    @Test
    void retainedSliceSharesTheBytesAndKeepsTheParentAlive() {
        long before = liveBlocks();
        ByteBuf parent = alloc.directBuffer(16);
        parent.writeBytes(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        ByteBuf slice = parent.retainedSlice(2, 4);
        assertEquals(2, parent.refCnt());
        assertEquals(expectedRetainedSliceRefCnt(), slice.refCnt());
        assertEquals(4, slice.readableBytes());
        assertEquals(3, slice.getByte(0));
        slice.setByte(0, 99);
        assertEquals(99, parent.getByte(2), "a slice is a view, not a copy");
        assertFalse(parent.release());
        assertEquals(before + 1, liveBlocks(), "the slice still holds the parent");
        assertEquals(6, slice.getByte(3));
        assertTrue(slice.release());
        assertEquals(0, parent.refCnt());
        assertEquals(before, liveBlocks());
        assertThrows(IllegalReferenceCountException.class, () -> slice.getByte(0));
    }

    @Test
    void sliceAndDuplicateShareTheParentsCountAndBytes() {
        long before = liveBlocks();
        ByteBuf parent = alloc.directBuffer(16);
        parent.writeInt(0x01020304);
        ByteBuf slice = parent.slice(1, 2);
        ByteBuf dup = parent.duplicate();
        assertEquals(1, slice.refCnt());
        assertEquals(1, dup.refCnt());
        assertEquals(0x0203, slice.getShort(0));
        dup.readerIndex(2); // its own indexes
        assertEquals(0, parent.readerIndex());
        dup.setByte(3, 9);
        assertEquals(9, parent.getByte(3));
        ByteBuf retainedDup = parent.retainedDuplicate();
        assertEquals(2, parent.refCnt());
        assertFalse(dup.release(), "a duplicate releases its parent");
        assertEquals(before + 1, liveBlocks());
        assertTrue(retainedDup.release());
        assertEquals(before, liveBlocks());
    }

    @Test
    void nioBufferShowsTheReadableBytesAndSharesThem() {
        ByteBuf buf = alloc.directBuffer(32);
        buf.writeCharSequence("hello world", StandardCharsets.US_ASCII);
        buf.readerIndex(6);
        assertEquals(1, buf.nioBufferCount());
        ByteBuffer nio = buf.nioBuffer();
        assertTrue(nio.isDirect());
        assertEquals(5, nio.remaining());
        byte[] world = new byte[5];
        nio.duplicate().get(world);
        assertEquals("world", new String(world, StandardCharsets.US_ASCII));
        nio.put(0, (byte) 'W');
        assertEquals('W', buf.getByte(6), "an NIO view shares the buffer's memory");
        ByteBuffer[] all = buf.nioBuffers(0, 11);
        assertEquals(1, all.length);
        assertEquals(11, all[0].remaining());
        ByteBuffer internal = buf.internalNioBuffer(0, 5);
        assertEquals(5, internal.remaining());
        assertEquals('h', internal.get(internal.position()));
        assertEquals(expectedHasMemoryAddress(), buf.hasMemoryAddress());
        buf.release();
    }

    @Test
    void compositeBuffersReadAcrossComponentsAndReleaseThemAll() {
        long before = liveBlocks();
        CompositeByteBuf composite = alloc.compositeDirectBuffer();
        assertFalse(composite.isDirect(), "Netty: an empty composite is not direct");
        ByteBuf a = alloc.directBuffer(4).writeInt(0x01020304);
        ByteBuf b = alloc.directBuffer(4).writeInt(0x05060708);
        composite.addComponents(true, a, b);
        assertTrue(composite.isDirect());
        assertEquals(before + 2, liveBlocks());
        assertEquals(8, composite.readableBytes());
        assertEquals(0x03040506, composite.getInt(2), "an int that spans two components");
        assertEquals(2, composite.nioBufferCount());
        ByteBuf out = alloc.directBuffer(8);
        out.writeBytes(composite, 0, 8);
        assertEquals(0x0102030405060708L, out.readLong());
        composite.writeBytes(new byte[100]); // grows with a buffer from the composite's allocator
        assertEquals(108, composite.readableBytes());
        assertTrue(composite.release());
        assertEquals(0, a.refCnt());
        assertEquals(0, b.refCnt());
        out.release();
        assertEquals(before, liveBlocks());
    }

    @Test
    void readsToAndWritesFromChannels(@TempDir Path dir) throws IOException {
        byte[] data = pattern(20_000);
        ByteBuf src = alloc.directBuffer(data.length).writeBytes(data);
        ByteBuf dst = alloc.directBuffer(data.length);
        Pipe pipe = Pipe.open();
        try (Pipe.SinkChannel sink = pipe.sink(); Pipe.SourceChannel source = pipe.source()) {
            sink.configureBlocking(true);
            source.configureBlocking(true);
            int moved = 0;
            while (moved < data.length) { // the pipe's buffer is smaller than the data: alternate
                int wrote = src.readBytes(sink, Math.min(4096, src.readableBytes()));
                int read = 0;
                while (read < wrote) {
                    read += dst.writeBytes(source, wrote - read);
                }
                moved += wrote;
            }
        }
        assertEquals(0, src.readableBytes());
        byte[] back = new byte[data.length];
        dst.getBytes(0, back);
        assertArrayEquals(data, back);

        Path file = dir.resolve("buf.bin");
        try (FileChannel fc = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            assertEquals(100, dst.getBytes(0, fc, 1000, 100));
            ByteBuf fromFile = alloc.directBuffer(100);
            assertEquals(100, fromFile.setBytes(0, fc, 1000, 100));
            fromFile.writerIndex(100);
            assertEquals(dst.slice(0, 100), fromFile);
            fromFile.release();
        }
        src.release();
        dst.release();
    }

    @Test
    void readsToAndWritesFromStreams() throws IOException {
        byte[] data = pattern(20_000);
        ByteBuf buf = alloc.directBuffer(8);
        int total = 0;
        ByteArrayInputStream in = new ByteArrayInputStream(data);
        while (total < data.length) {
            int n = buf.writeBytes(in, data.length - total);
            assertTrue(n > 0);
            total += n;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        buf.readBytes(out, data.length);
        assertArrayEquals(data, out.toByteArray());
        assertEquals(-1, buf.writeBytes(new ByteArrayInputStream(new byte[0]), 10), "end of stream");
        buf.release();
    }

    @Test
    void copyIsIndependentAndFromTheSameAllocator() {
        long before = liveBlocks();
        ByteBuf buf = alloc.directBuffer(16).writeLong(5);
        ByteBuf copy = buf.copy();
        assertEquals(before + 2, liveBlocks());
        assertSame(alloc, copy.alloc());
        assertTrue(copy.isDirect());
        buf.setLong(0, 6);
        assertEquals(5, copy.getLong(0));
        assertNotEquals(buf, copy);
        buf.release();
        copy.release();
    }

    @Test
    void heapBuffersAreHeapBuffers() {
        ByteBuf heap = alloc.heapBuffer(10);
        assertFalse(heap.isDirect());
        assertTrue(heap.hasArray());
        heap.writeInt(3);
        assertEquals(3, heap.readInt());
        heap.release();
        ByteBuf plain = alloc.buffer(10);
        assertEquals(expectedBufferIsDirect(), plain.isDirect());
        plain.release();
        ByteBuf io = alloc.ioBuffer(10);
        assertTrue(io.isDirect());
        io.release();
    }

    @Test
    @SuppressWarnings("deprecation") // order(ByteOrder) is deprecated in favour of the *LE methods, still supported
    void swappedAndReadOnlyViewsShareTheBytes() {
        ByteBuf buf = alloc.directBuffer(16);
        buf.order(java.nio.ByteOrder.LITTLE_ENDIAN).writeInt(0x01020304);
        buf.writerIndex(4);
        assertEquals(0x04, buf.getByte(0), "little-endian view: low byte first");
        ByteBuf readOnly = buf.asReadOnly();
        assertTrue(readOnly.isReadOnly());
        assertEquals(0x04030201, readOnly.getInt(0));
        assertThrows(java.nio.ReadOnlyBufferException.class, () -> readOnly.setByte(0, 1));
        assertThrows(java.nio.ReadOnlyBufferException.class, () -> buf.getBytes(0, ByteBuffer.allocate(4).asReadOnlyBuffer()));
        buf.release();
    }

    static byte[] pattern(int length) {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) {
            data[i] = (byte) (i * 31 + (i >>> 8));
        }
        return data;
    }
}
