package dev.offheap.netty;

import dev.offheap.allocator.facade.OffHeap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ByteBufSegments} moves the same bytes and indexes as {@code writeBytes(ByteBuffer)} and
 * {@code readBytes(ByteBuffer)}, on the adapter's buffers (the direct copy), on a leak-aware
 * wrapper of them and on Netty's own buffers (the view path), and fails before moving an index.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ByteBufSegmentsTest {
    private OffHeap offHeap;
    private OffHeapByteBufAllocator alloc;
    private Arena arena;
    private MemorySegment source;

    @BeforeEach
    void setUp() {
        offHeap = OffHeap.builder().name("segments").reserve(1L << 30).decay(Duration.ZERO).build();
        alloc = new OffHeapByteBufAllocator(offHeap);
        arena = Arena.ofConfined();
        source = arena.allocate(3000);
        byte[] pattern = DirectByteBufContract.pattern(3000);
        MemorySegment.copy(pattern, 0, source, ValueLayout.JAVA_BYTE, 0, pattern.length);
    }

    @AfterEach
    void tearDown() {
        arena.close();
        try {
            assertEquals(0, alloc.liveDirectBuffers());
        } finally {
            offHeap.close();
        }
    }

    /** The buffers under test: the adapter's, the adapter's under Netty's leak detector, Netty pooled, heap. */
    private ByteBuf buffer(String kind, int initialCapacity) {
        return switch (kind) {
            case "offheap" -> alloc.directBuffer(initialCapacity);
            case "leak-aware" -> leakAware(initialCapacity);
            case "netty-pooled" -> PooledByteBufAllocator.DEFAULT.directBuffer(initialCapacity);
            case "heap" -> Unpooled.buffer(initialCapacity);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private ByteBuf leakAware(int initialCapacity) {
        ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID); // every buffer wrapped
        try {
            ByteBuf buf = alloc.directBuffer(initialCapacity);
            assertFalse(buf instanceof OffHeapByteBuf, "positive control: this one takes the view path");
            return buf;
        } finally {
            ResourceLeakDetector.setLevel(before);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"offheap", "leak-aware", "netty-pooled", "heap"})
    void writeCopiesTheRangeAtTheWriterIndexAndGrowsTheBuffer(String kind) {
        ByteBuf buf = buffer(kind, 16).writeByte('x');
        assertTrue(ByteBufSegments.writeBytes(buf, source, 100, 2000) == buf);
        assertEquals(2001, buf.writerIndex(), "grew past its initial 16 bytes and moved on");
        byte[] back = new byte[2000];
        buf.getBytes(1, back);
        assertArrayEquals(source.asSlice(100, 2000).toArray(ValueLayout.JAVA_BYTE), back);
        assertEquals('x', buf.getByte(0), "what was there before stays");
        buf.release();
    }

    @ParameterizedTest
    @ValueSource(strings = {"offheap", "leak-aware", "netty-pooled", "heap"})
    void readCopiesFromTheReaderIndexIntoTheSegment(String kind) {
        ByteBuf buf = buffer(kind, 64);
        byte[] data = DirectByteBufContract.pattern(1000);
        buf.writeBytes(data).skipBytes(10);
        MemorySegment dst = arena.allocate(1000);
        assertTrue(ByteBufSegments.readBytes(buf, dst, 500, 300) == buf);
        assertEquals(310, buf.readerIndex());
        byte[] expected = new byte[300];
        System.arraycopy(data, 10, expected, 0, 300);
        assertArrayEquals(expected, dst.asSlice(500, 300).toArray(ValueLayout.JAVA_BYTE));
        assertEquals(0, dst.get(ValueLayout.JAVA_BYTE, 499), "nothing written before the range");
        assertEquals(0, dst.get(ValueLayout.JAVA_BYTE, 800), "nor after it");
        buf.release();
    }

    @ParameterizedTest
    @ValueSource(strings = {"offheap", "leak-aware", "netty-pooled", "heap"})
    void aRangeOutsideEitherSideThrowsAndMovesNoIndex(String kind) {
        ByteBuf buf = buffer(kind, 64).writeBytes(new byte[20]);
        MemorySegment dst = arena.allocate(100);
        assertThrows(IndexOutOfBoundsException.class, () -> ByteBufSegments.readBytes(buf, dst, 0, 21), "more than readable");
        assertThrows(IndexOutOfBoundsException.class, () -> ByteBufSegments.readBytes(buf, dst, 90, 11), "past the segment's end");
        assertThrows(IndexOutOfBoundsException.class, () -> ByteBufSegments.writeBytes(buf, source, 2999, 2), "past the source's end");
        assertThrows(IndexOutOfBoundsException.class, () -> ByteBufSegments.writeBytes(buf, source, -1, 2), "a negative offset");
        assertThrows(UnsupportedOperationException.class, () -> ByteBufSegments.readBytes(buf, dst.asReadOnly(), 0, 1));
        assertEquals(0, buf.readerIndex());
        assertEquals(20, buf.writerIndex());
        ByteBufSegments.readBytes(buf, dst, 0, 20); // positive control: exactly what is readable
        assertEquals(20, buf.readerIndex());
        buf.release();
    }

    @Test
    void aReleasedBufferThrowsNettysExceptionAndNoMemoryIsTouched() {
        ByteBuf buf = alloc.directBuffer(64).writeBytes(new byte[8]);
        buf.release();
        MemorySegment dst = arena.allocate(8);
        assertThrows(IllegalReferenceCountException.class, () -> ByteBufSegments.writeBytes(buf, source, 0, 8));
        assertThrows(IllegalReferenceCountException.class, () -> ByteBufSegments.readBytes(buf, dst, 0, 8));
    }

    @Test
    void aClosedSourceSegmentThrowsAndTheWriterIndexStays() {
        ByteBuf buf = alloc.directBuffer(64);
        MemorySegment closed;
        try (Arena other = Arena.ofConfined()) {
            closed = other.allocate(8);
        }
        MemorySegment gone = closed;
        assertThrows(IllegalStateException.class, () -> ByteBufSegments.writeBytes(buf, gone, 0, 8));
        assertEquals(0, buf.writerIndex());
        buf.release();
    }
}
