package dev.offheap.examples.memcached;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.SingleThreadEventExecutor;

/**
 * One spare reply buffer per event loop. A connection whose replies the socket took whole (Netty
 * wrote them during the flush and let go of the buffer) hands the buffer back here, and the next
 * connection served on that thread writes its replies into it instead of allocating one: under
 * memcaslap every request is one read and one reply, so that is one network block allocated and
 * freed, a {@code ByteBuf} and its views, less per request. An idle connection still holds no
 * memory: the spare belongs to the thread.
 *
 * <p>Only on Netty's own event loops ({@link SingleThreadEventExecutor}), which release their
 * {@link FastThreadLocal}s as they end, before their termination future completes: the spare goes
 * back before the server closes the network allocator, so its leak check sees nothing left. On any
 * other executor (an {@code EmbeddedChannel}'s) no spare is kept.
 *
 * <p>Thread-safety: each spare is used by its event loop's thread only.
 */
final class SpareReplyBuffer {
    /** A reply buffer grown past this (a large multi-get) is not kept: the spare stays small. */
    static final int MAX_SPARE_BYTES = 2 * ItemStore.COPY_REPLY_BYTES;

    private static final FastThreadLocal<ByteBuf> SPARE = new FastThreadLocal<>() {
        @Override
        protected void onRemoval(ByteBuf spare) {
            if (spare != null) {
                spare.release();
            }
        }
    };

    private SpareReplyBuffer() {
    }

    /** {@return a reply buffer: this event loop's spare, emptied, or a new one of {@code capacity} bytes} */
    static ByteBuf take(ChannelHandlerContext ctx, int capacity) {
        if (ctx.executor() instanceof SingleThreadEventExecutor) {
            ByteBuf spare = SPARE.get();
            if (spare != null) {
                SPARE.set(null);
                return spare;
            }
        }
        return ctx.alloc().ioBuffer(capacity);
    }

    /**
     * Writes and flushes {@code reply}, then keeps it as the spare if the socket took all of it;
     * otherwise Netty's reference frees it once it is written.
     */
    static void writeAndFlush(ChannelHandlerContext ctx, ByteBuf reply) {
        if (!(ctx.executor() instanceof SingleThreadEventExecutor) || reply.capacity() > MAX_SPARE_BYTES) {
            ctx.write(reply, ctx.voidPromise()); // nothing listens: a failed write reaches exceptionCaught, which closes
            ctx.flush();
            return;
        }
        ctx.write(reply.retain(), ctx.voidPromise());
        ctx.flush();
        // refCnt 1: the flush wrote it whole and Netty released its reference, so nobody else holds it
        if (reply.refCnt() == 1 && SPARE.get() == null) {
            SPARE.set(reply.clear());
        } else {
            reply.release();
        }
    }
}
