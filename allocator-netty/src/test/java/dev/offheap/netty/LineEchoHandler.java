package dev.offheap.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Echoes each frame (a {@code LineBasedFrameDecoder} frame, without its delimiter) back with a
 * {@code '\n'}, in a buffer from the channel's allocator; releases the frame.
 */
final class LineEchoHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            ByteBuf reply = ctx.alloc().buffer(frame.readableBytes() + 1);
            reply.writeBytes(frame).writeByte('\n');
            ctx.writeAndFlush(reply);
        } finally {
            frame.release();
        }
    }
}
