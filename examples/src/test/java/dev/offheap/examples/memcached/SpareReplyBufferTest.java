package dev.offheap.examples.memcached;

import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.netty.OffHeapByteBufAllocator;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SpareReplyBuffer}: on a real event loop a reply buffer the socket took whole serves the
 * next reply, the spare is released when the event loop ends (before the allocator is closed), and
 * on an {@code EmbeddedChannel} nothing is kept.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SpareReplyBufferTest {
    /** Answers each read with "ok\n" in a buffer from {@link SpareReplyBuffer}, noting which buffer. */
    @ChannelHandler.Sharable
    private static final class Answer extends ChannelInboundHandlerAdapter {
        final List<ByteBuf> used;

        Answer(List<ByteBuf> used) {
            this.used = used;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            cause.printStackTrace();
            ctx.close();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            ByteBuf reply = SpareReplyBuffer.take(ctx, 64);
            used.add(reply);
            reply.writeBytes("ok\n".getBytes(StandardCharsets.US_ASCII));
            SpareReplyBuffer.writeAndFlush(ctx, reply);
        }
    }

    @Test
    void aReplyTheSocketTookWholeServesTheNextOneAndGoesBackWhenTheEventLoopEnds() throws Exception {
        try (OffHeap memory = OffHeap.builder().name("spare").zeroing(false).build()) {
            OffHeapByteBufAllocator alloc = new OffHeapByteBufAllocator(memory);
            List<ByteBuf> used = new CopyOnWriteArrayList<>();
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.ALLOCATOR, alloc)
                    .childHandler(new Answer(used))
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            for (int connection = 0; connection < 2; connection++) { // the spare outlives a connection
                try (Socket client = new Socket("127.0.0.1", port)) {
                    client.setSoTimeout(10_000); // a read the timeout extension could not interrupt
                    OutputStream toServer = client.getOutputStream();
                    InputStream fromServer = client.getInputStream();
                    for (int request = 0; request < 3; request++) {
                        toServer.write('?');
                        toServer.flush();
                        assertEquals("ok\n", new String(fromServer.readNBytes(3), StandardCharsets.US_ASCII));
                    }
                }
            }
            assertEquals(6, used.size());
            for (ByteBuf b : used) {
                assertSame(used.get(0), b, "every reply after the first reused the spare");
            }
            assertEquals(1, alloc.liveDirectBuffers(), "positive control: the spare is held while the loop runs");
            server.close().sync();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            assertEquals(0, alloc.liveDirectBuffers(), "the event loop released its spare as it ended");
            assertEquals(0, memory.snapshot().liveBlocks());
        }
    }

    @Test
    void anEmbeddedChannelKeepsNoSpare() {
        try (OffHeap memory = OffHeap.builder().name("spare-embedded").zeroing(false).build()) {
            OffHeapByteBufAllocator alloc = new OffHeapByteBufAllocator(memory);
            List<ByteBuf> used = new CopyOnWriteArrayList<>();
            EmbeddedChannel channel = new EmbeddedChannel();
            channel.config().setAllocator(alloc);
            channel.pipeline().addLast(new Answer(used));
            for (int request = 0; request < 2; request++) {
                channel.writeInbound(alloc.buffer().writeByte('?'));
                ByteBuf reply = channel.readOutbound();
                assertEquals("ok\n", reply.toString(StandardCharsets.US_ASCII));
                assertTrue(reply.release(), "the reply was the channel's alone");
            }
            assertNotSame(used.get(0), used.get(1), "a new buffer per reply");
            assertEquals(0, alloc.liveDirectBuffers());
            channel.finishAndReleaseAll();
        }
    }
}
