package dev.offheap.netty;

import dev.offheap.allocator.facade.OffHeap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netty's own codecs over the adapter's buffers, in an {@link EmbeddedChannel}: a frame decoder
 * that cumulates and slices (retained slices of the cumulation), an echo handler that allocates
 * from the channel, and every block given back when the channel is finished.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EmbeddedPipelineTest {
    private OffHeap offHeap;
    private OffHeapByteBufAllocator alloc;

    @BeforeEach
    void setUp() {
        offHeap = OffHeap.builder().name("netty-embedded").reserve(1L << 30).build();
        alloc = new OffHeapByteBufAllocator(offHeap);
    }

    @AfterEach
    void tearDown() {
        offHeap.close();
    }

    private EmbeddedChannel echoChannel(int maxLine) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        channel.pipeline().addLast(new LineBasedFrameDecoder(maxLine), new LineEchoHandler());
        return channel;
    }

    private ByteBuf ascii(String s) {
        return alloc.directBuffer(s.length()).writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static String readLine(EmbeddedChannel channel) {
        ByteBuf out = channel.readOutbound();
        if (out == null) {
            return null;
        }
        try {
            return out.toString(StandardCharsets.US_ASCII);
        } finally {
            out.release();
        }
    }

    @Test
    void framesSplitAcrossReadsAreEchoedFromTheAdaptersBuffers() {
        EmbeddedChannel channel = echoChannel(1024);
        channel.writeInbound(ascii("get a\r\nget"));
        channel.writeInbound(ascii(" b\n"));
        channel.writeInbound(ascii("partial"));
        ByteBuf first = channel.readOutbound();
        assertSame(alloc, first.alloc(), "the echo came from the channel's allocator");
        assertTrue(first.isDirect());
        assertEquals("get a\n", first.toString(StandardCharsets.US_ASCII));
        first.release();
        assertEquals("get b\n", readLine(channel));
        assertNull(readLine(channel));
        assertTrue(alloc.liveDirectBuffers() > 0, "positive control: the decoder holds the partial line");
        assertFalse(channel.finishAndReleaseAll());
        assertEquals(0, alloc.liveDirectBuffers());
        assertEquals(0, offHeap.snapshot().liveBlocks());
    }

    @Test
    void aLongLineCumulatedOverManyReadsArrivesWhole() {
        EmbeddedChannel channel = echoChannel(1 << 20);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 200; i++) { // 200 reads of 1000 bytes: the cumulation grows past the slab range
            String chunk = String.valueOf((char) ('a' + i % 26)).repeat(1000);
            expected.append(chunk);
            channel.writeInbound(ascii(chunk));
        }
        channel.writeInbound(ascii("\n"));
        assertEquals(expected + "\n", readLine(channel));
        assertFalse(channel.finishAndReleaseAll());
        assertEquals(0, alloc.liveDirectBuffers());
        assertEquals(0, offHeap.snapshot().liveBlocks());
    }

    @Test
    void aTooLongLineFailsAndLeavesNoBlockBehind() {
        EmbeddedChannel channel = echoChannel(16);
        assertThrows(TooLongFrameException.class, () -> channel.writeInbound(ascii("x".repeat(40) + "\nok\n")));
        assertEquals("ok\n", readLine(channel), "the decoder recovers at the next delimiter");
        channel.finishAndReleaseAll();
        assertEquals(0, alloc.liveDirectBuffers());
        assertEquals(0, offHeap.snapshot().liveBlocks());
    }
}
