package dev.offheap.netty;

import dev.offheap.allocator.facade.OffHeap;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real TCP round trip on 127.0.0.1: a line-echo server and a client, both on NIO event loops with
 * the adapter as {@link ChannelOption#ALLOCATOR}, so every read buffer, frame, reply and write
 * goes through the adapter's blocks. After both sides shut down, no block is left live.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketRoundTripTest {
    private static final int LINES = 300;

    @Test
    void linesOfManySizesComeBackIntactAndEveryBlockIsFreed() throws Exception {
        try (OffHeap offHeap = OffHeap.builder().name("netty-socket").reserve(1L << 30).build()) {
            OffHeapByteBufAllocator alloc = new OffHeapByteBufAllocator(offHeap);
            AtomicInteger foreignBuffers = new AtomicInteger();
            EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
            BlockingQueue<String> echoed = new LinkedBlockingQueue<>();
            try {
                Channel server = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                        .option(ChannelOption.ALLOCATOR, alloc)
                        .childOption(ChannelOption.ALLOCATOR, alloc)
                        .childHandler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                ch.pipeline().addLast(new LineBasedFrameDecoder(64 * 1024), new LineEchoHandler());
                            }
                        })
                        .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
                Channel client = new Bootstrap().group(workers).channel(NioSocketChannel.class)
                        .option(ChannelOption.ALLOCATOR, alloc)
                        .handler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                ch.pipeline().addLast(new LineBasedFrameDecoder(64 * 1024),
                                        new SimpleChannelInboundHandler<ByteBuf>() { // releases each frame
                                            @Override
                                            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
                                                if (frame.alloc() != alloc) {
                                                    foreignBuffers.incrementAndGet();
                                                }
                                                echoed.add(frame.toString(StandardCharsets.US_ASCII));
                                            }
                                        });
                            }
                        })
                        .connect(server.localAddress()).sync().channel();

                List<String> sent = new ArrayList<>();
                for (int i = 0; i < LINES; i++) {
                    int length = 1 + (i * 7919) % 20_000; // 1 B .. 20 KB: slab and free-list blocks
                    String line = Integer.toString(i) + ":" + "x".repeat(length);
                    sent.add(line);
                    ByteBuf out = client.alloc().buffer(line.length() + 1);
                    out.writeCharSequence(line, StandardCharsets.US_ASCII);
                    out.writeByte('\n');
                    client.write(out);
                    if (i % 16 == 0) {
                        client.flush();
                    }
                }
                client.flush();
                for (String expected : sent) {
                    String got = echoed.poll(20, TimeUnit.SECONDS);
                    assertNotNull(got, "echo timed out");
                    assertEquals(expected, got);
                }
                assertEquals(0, foreignBuffers.get(), "every frame the client read was the adapter's");
                assertTrue(offHeap.snapshot().allocations() >= 2L * LINES, "positive control: the traffic used blocks");
                client.close().sync();
                server.close().sync();
            } finally {
                workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
                boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
            assertEquals(0, alloc.liveDirectBuffers());
            assertEquals(0, alloc.metric().usedDirectMemory());
            assertEquals(0, offHeap.snapshot().liveBlocks());
            assertEquals(0, offHeap.snapshot().leaks());
        }
    }
}
