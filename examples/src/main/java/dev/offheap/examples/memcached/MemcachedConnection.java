package dev.offheap.examples.memcached;

import dev.offheap.netty.ByteBufSegments;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One client connection speaking memcached's text protocol: reads command lines and data blocks
 * as they arrive, runs each command on the {@link ItemStore}, and writes the replies, batched
 * and flushed once per read.
 *
 * <p>Memory per connection is bounded: a command line is collected in a 2 KiB array (a longer
 * multi-get is served key by key as it arrives, so it needs no more); a data block is copied from the network buffer straight into the item's off-heap block
 * as it arrives, never gathered on the heap; a value too large is counted down and dropped; and
 * reading stops while the channel is not writable, so a client that does not read its replies
 * cannot make the server queue without bound. Values are sent as views of their blocks, each
 * holding a reference to its item until written ({@link Item}).
 *
 * <p>Thread-safety: confined to the channel's event loop, as Netty handlers are.
 */
final class MemcachedConnection extends ChannelInboundHandlerAdapter {
    /** The longest command line memcached reads before it gives up on the connection. */
    static final int MAX_LINE = 2048;

    private static final byte[] GET = Replies.ascii("get");
    private static final byte[] GETS = Replies.ascii("gets");
    private static final byte[] GAT = Replies.ascii("gat");
    private static final byte[] GATS = Replies.ascii("gats");
    private static final byte[] SET = Replies.ascii("set");
    private static final byte[] ADD = Replies.ascii("add");
    private static final byte[] REPLACE = Replies.ascii("replace");
    private static final byte[] APPEND = Replies.ascii("append");
    private static final byte[] PREPEND = Replies.ascii("prepend");
    private static final byte[] CAS = Replies.ascii("cas");
    private static final byte[] DELETE = Replies.ascii("delete");
    private static final byte[] INCR = Replies.ascii("incr");
    private static final byte[] DECR = Replies.ascii("decr");
    private static final byte[] TOUCH = Replies.ascii("touch");
    private static final byte[] FLUSH_ALL = Replies.ascii("flush_all");
    private static final byte[] VERSION = Replies.ascii("version");
    private static final byte[] VERBOSITY = Replies.ascii("verbosity");
    private static final byte[] STATS = Replies.ascii("stats");
    private static final byte[] QUIT = Replies.ascii("quit");
    private static final byte[] NOREPLY = Replies.ascii("noreply");
    private static final byte[] ZERO = Replies.ascii("0");
    private static final byte[] VERSION_REPLY = Replies.ascii("VERSION " + StatsReport.VERSION + "\r\n");

    private final ItemStore store;
    private final StatsReport statsReport;
    private final StoreStats stats;
    /** The command line being read, split into cmd.tokens once it is whole. */
    private final CommandLine cmd = new CommandLine();

    private final byte[] keyBytes = new byte[ItemLayout.MAX_KEY_BYTES];
    private final MemorySegment key = MemorySegment.ofArray(keyBytes);
    private final long[] arithmeticResult = new long[1];

    /** The item whose data block is being read, owned by this connection until stored or dropped. */
    private Item pending;
    private StorageCommand pendingCommand;
    private long pendingCas;
    private boolean pendingNoreply;
    private long pendingOffset;
    private long pendingEnd;
    /** Bytes of a refused data block still to be dropped. */
    private long swallowRemaining;
    /** A multi-get longer than the line buffer, served as it arrives ({@link #serveCompleteKeys}). */
    private boolean retrieving;
    private boolean retrievingWithCas;
    private boolean retrievingTouch;
    private long retrievingDeadline;
    /** Skipping the rest of a line that was answered with an error already. */
    private boolean discardingLine;
    /** Replies not yet handed to Netty. */
    private ByteBuf out;
    private boolean closing;

    MemcachedConnection(ItemStore store, StatsReport statsReport) {
        this.store = store;
        this.statsReport = statsReport;
        this.stats = store.stats;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        stats.currConnections.increment();
        stats.totalConnections.increment();
        if (stats.currConnections.sum() > statsReport.settings().maxConnections()) {
            stats.rejectedConnections.increment();
            closing = true;
            ctx.writeAndFlush(Unpooled.wrappedBuffer(Replies.TOO_MANY_CONNECTIONS)).addListener(ChannelFutureListener.CLOSE);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stats.currConnections.add(-1);
        dropPending(); // a client gone mid-value: its block goes back
        if (out != null) {
            out.release();
            out = null;
        }
        cmd.release();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            stats.bytesRead.add(in.readableBytes());
            while (in.isReadable() && !closing) {
                if (pending != null) {
                    readValue(ctx, in);
                } else if (swallowRemaining > 0) {
                    int n = (int) Math.min(swallowRemaining, in.readableBytes());
                    in.skipBytes(n);
                    swallowRemaining -= n;
                } else {
                    readLine(ctx, in);
                }
            }
        } finally {
            in.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushReplies(ctx);
        if (!ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(false); // until the client reads what it was sent
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && !closing) {
            ctx.channel().config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) { // a reset by the peer is ordinary; anything else is a bug
            System.getLogger(MemcachedConnection.class.getName()).log(System.Logger.Level.WARNING,
                    "closing connection after an unexpected error: remote=" + ctx.channel().remoteAddress(), cause);
        }
        closing = true;
        ctx.close();
    }

    private void flushReplies(ChannelHandlerContext ctx) {
        if (out != null) {
            ByteBuf reply = out;
            out = null;
            stats.bytesWritten.add(reply.readableBytes());
            SpareReplyBuffer.writeAndFlush(ctx, reply);
        } else {
            ctx.flush();
        }
    }

    private ByteBuf out(ChannelHandlerContext ctx) {
        if (out == null) {
            // room for one copied value's reply from the start: growing it is a new block and a copy
            out = SpareReplyBuffer.take(ctx, ItemStore.COPY_REPLY_BYTES);
        }
        return out;
    }

    private void reply(ChannelHandlerContext ctx, byte[] reply) {
        out(ctx).writeBytes(reply);
    }

    // ---- reading ----

    private void readLine(ChannelHandlerContext ctx, ByteBuf in) {
        cmd.ensureBuffer();
        int from = in.readerIndex();
        int lf = in.indexOf(from, in.writerIndex(), (byte) '\n');
        int available = (lf < 0 ? in.writerIndex() : lf + 1) - from;
        if (discardingLine) { // the rest of a line already answered with an error
            in.skipBytes(available);
            discardingLine = lf < 0;
            return;
        }
        int n = Math.min(available, cmd.bytes.length - cmd.length);
        in.readBytes(cmd.bytes, cmd.length, n);
        cmd.length += n;
        if (n == available && lf >= 0) {
            int end = cmd.length - 1; // the '\n'
            if (end > 0 && cmd.bytes[end - 1] == '\r') {
                end--;
            }
            cmd.length = 0;
            if (retrieving) {
                retrieving = false;
                if (serveKeys(ctx, 0, end)) {
                    reply(ctx, Replies.END);
                }
            } else {
                process(ctx, end);
            }
            return;
        }
        if (cmd.length == cmd.bytes.length) { // full, and no end of line yet
            if (retrieving || isRetrievalLine()) {
                serveCompleteKeys(ctx);
                return;
            }
            stats.protocolErrors.increment();
            reply(ctx, Replies.LINE_TOO_LONG);
            closeAfterReplies(ctx); // memcached drops such a connection: there is no telling where the next command starts
        }
    }

    /**
     * A multi-get longer than the line buffer is served as it arrives, as memcached serves one:
     * the keys the buffer holds whole are answered now, the one cut off moves to the front.
     */
    private void serveCompleteKeys(ChannelHandlerContext ctx) {
        int lastSpace = cmd.length - 1;
        while (lastSpace >= 0 && cmd.bytes[lastSpace] != ' ') {
            lastSpace--;
        }
        int from = 0;
        if (!retrieving) {
            cmd.tokenize(lastSpace < 0 ? 0 : lastSpace);
            retrievingWithCas = cmd.is(0, GETS) || cmd.is(0, GATS);
            retrievingTouch = cmd.is(0, GAT) || cmd.is(0, GATS);
            if (retrievingTouch) {
                long exptime = cmd.tokens >= 2 ? cmd.parseSigned(1) : 0;
                if (cmd.tokens < 2 || cmd.badNumber) {
                    failLongRetrieval(ctx, Replies.BAD_EXPTIME);
                    return;
                }
                retrievingDeadline = Expiry.deadline(exptime, store.nowSeconds());
                from = cmd.end[1];
            } else {
                from = cmd.tokens >= 1 ? cmd.end[0] : 0;
            }
            retrieving = true;
        }
        if (lastSpace < from || cmd.length - lastSpace > ItemLayout.MAX_KEY_BYTES + 1) {
            failLongRetrieval(ctx, Replies.BAD_FORMAT); // a key longer than any key can be
            return;
        }
        if (!serveKeys(ctx, from, lastSpace)) {
            retrieving = false;
            cmd.length = 0;
            discardingLine = true;
            return;
        }
        int rest = cmd.length - lastSpace;
        System.arraycopy(cmd.bytes, lastSpace, cmd.bytes, 0, rest);
        cmd.length = rest;
    }

    private void failLongRetrieval(ChannelHandlerContext ctx, byte[] error) {
        stats.protocolErrors.increment();
        reply(ctx, error);
        retrieving = false;
        cmd.length = 0;
        discardingLine = true;
    }

    private boolean isRetrievalLine() {
        int i = 0;
        while (i < cmd.length && cmd.bytes[i] == ' ') {
            i++;
        }
        return startsWith(i, GET) || startsWith(i, GAT);
    }

    private boolean startsWith(int at, byte[] word) {
        if (at + word.length + 1 > cmd.length) {
            return false;
        }
        for (int j = 0; j < word.length; j++) {
            if (cmd.bytes[at + j] != word[j]) {
                return false;
            }
        }
        byte next = cmd.bytes[at + word.length];
        return next == ' ' || next == 's';
    }

    private void readValue(ChannelHandlerContext ctx, ByteBuf in) {
        int n = (int) Math.min(pendingEnd - pendingOffset, in.readableBytes());
        ByteBufSegments.readBytes(in, pending.raw(), pendingOffset, n); // network buffer -> off-heap, no heap copy, no view
        pendingOffset += n;
        if (pendingOffset < pendingEnd) {
            return;
        }
        Item item = pending;
        pending = null;
        MemorySegment block = item.block();
        if (block.get(ValueLayout.JAVA_BYTE, pendingEnd - 2) != '\r' || block.get(ValueLayout.JAVA_BYTE, pendingEnd - 1) != '\n') {
            item.release();
            stats.protocolErrors.increment();
            reply(ctx, Replies.BAD_DATA_CHUNK);
            return;
        }
        StoreResult result = store.store(pendingCommand, item, pendingCas);
        if (result == StoreResult.NO_MEMORY) {
            reply(ctx, Replies.OUT_OF_MEMORY_STORING); // errors are sent even with noreply, as memcached does
        } else if (!pendingNoreply) {
            reply(ctx, switch (result) {
                case STORED -> Replies.STORED;
                case NOT_STORED -> Replies.NOT_STORED;
                case EXISTS -> Replies.EXISTS;
                case NOT_FOUND -> Replies.NOT_FOUND;
                default -> throw new IllegalStateException("storage result: result=" + result);
            });
        }
    }

    private void dropPending() {
        if (pending != null) {
            Item item = pending;
            pending = null;
            item.release();
        }
    }

    private void closeAfterReplies(ChannelHandlerContext ctx) {
        closing = true;
        ByteBuf last = out != null ? out : Unpooled.EMPTY_BUFFER;
        out = null;
        ctx.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    }

    // ---- commands ----

    private void process(ChannelHandlerContext ctx, int end) {
        cmd.tokenize(end);
        if (cmd.tokens == 0) {
            reply(ctx, Replies.ERROR);
            return;
        }
        if (cmd.is(0, GET)) {
            retrieve(ctx, false, false, end);
        } else if (cmd.is(0, GETS)) {
            retrieve(ctx, true, false, end);
        } else if (cmd.is(0, GAT)) {
            retrieve(ctx, false, true, end);
        } else if (cmd.is(0, GATS)) {
            retrieve(ctx, true, true, end);
        } else if (cmd.is(0, SET)) {
            storage(ctx, StorageCommand.SET);
        } else if (cmd.is(0, ADD)) {
            storage(ctx, StorageCommand.ADD);
        } else if (cmd.is(0, REPLACE)) {
            storage(ctx, StorageCommand.REPLACE);
        } else if (cmd.is(0, APPEND)) {
            storage(ctx, StorageCommand.APPEND);
        } else if (cmd.is(0, PREPEND)) {
            storage(ctx, StorageCommand.PREPEND);
        } else if (cmd.is(0, CAS)) {
            storage(ctx, StorageCommand.CAS);
        } else if (cmd.is(0, DELETE)) {
            delete(ctx);
        } else if (cmd.is(0, INCR)) {
            arithmetic(ctx, true);
        } else if (cmd.is(0, DECR)) {
            arithmetic(ctx, false);
        } else if (cmd.is(0, TOUCH)) {
            touch(ctx);
        } else if (cmd.is(0, FLUSH_ALL)) {
            flushAll(ctx);
        } else if (cmd.is(0, VERSION)) { // memcached ignores anything after "version"
            reply(ctx, VERSION_REPLY);
        } else if (cmd.is(0, VERBOSITY) && (cmd.tokens == 2 || cmd.tokens == 3)) {
            long level = cmd.parseUnsigned(1);
            statsReport.verbosity(cmd.badNumber ? 0 : level); // memcached reads a non-number as 0
            if (!cmd.is(cmd.tokens - 1, NOREPLY)) {
                reply(ctx, Replies.OK);
            }
        } else if (cmd.is(0, STATS) && cmd.tokens <= 2) {
            String sub = cmd.tokens == 1 ? "" : cmd.token(1);
            if (!statsReport.write(sub, out(ctx))) {
                reply(ctx, Replies.ERROR);
            }
        } else if (cmd.is(0, QUIT) && cmd.tokens == 1) {
            closeAfterReplies(ctx);
        } else {
            stats.protocolErrors.increment();
            reply(ctx, Replies.ERROR);
        }
    }

    /** get/gets/gat/gats on one line: every key is checked before any value is sent. */
    private void retrieve(ChannelHandlerContext ctx, boolean withCas, boolean touch, int end) {
        int pos = cmd.end[0];
        retrievingWithCas = withCas;
        retrievingTouch = touch;
        if (touch) {
            if (cmd.tokens < 3) {
                reply(ctx, Replies.ERROR);
                return;
            }
            long exptime = cmd.parseSigned(1);
            if (cmd.badNumber) {
                reply(ctx, Replies.BAD_EXPTIME);
                return;
            }
            retrievingDeadline = Expiry.deadline(exptime, store.nowSeconds());
            pos = cmd.end[1];
        }
        int keys = 0;
        for (int p = pos; ; ) {
            int start = cmd.skipSpaces(p, end);
            if (start == end) {
                break;
            }
            int stop = cmd.nextSpace(start, end);
            if (stop - start > ItemLayout.MAX_KEY_BYTES) {
                stats.protocolErrors.increment();
                reply(ctx, Replies.BAD_FORMAT);
                return;
            }
            keys++;
            p = stop;
        }
        if (keys == 0) {
            reply(ctx, Replies.ERROR);
            return;
        }
        serveKeys(ctx, pos, end);
        reply(ctx, Replies.END);
    }

    /**
     * Answers every key in {@code cmd.bytes[from, to)} as the retrieval in progress asks.
     *
     * @return false if a key was too long (a CLIENT_ERROR was sent; the rest of the line is not served)
     */
    private boolean serveKeys(ChannelHandlerContext ctx, int from, int to) {
        for (int p = from; ; ) {
            int start = cmd.skipSpaces(p, to);
            if (start == to) {
                return true;
            }
            int stop = cmd.nextSpace(start, to);
            if (stop - start > ItemLayout.MAX_KEY_BYTES) {
                stats.protocolErrors.increment();
                reply(ctx, Replies.BAD_FORMAT);
                return false;
            }
            int keyLength = loadKey(start, stop);
            int hash = ItemTable.hash(key, keyLength);
            ByteBuf reply = out(ctx);
            reply.ensureWritable(ItemStore.COPY_REPLY_BYTES); // a short value is copied in under the stripe's lock: no growth there
            Item item = retrievingTouch ? store.getAndTouch(key, keyLength, hash, retrievingDeadline, reply, retrievingWithCas)
                    : store.get(key, keyLength, hash, reply, retrievingWithCas);
            if (item != null) {
                writeValue(ctx, item, retrievingWithCas);
            }
            p = stop;
        }
    }

    /**
     * A value longer than {@link ItemStore#COPY_LIMIT}: the VALUE line into the reply buffer, then
     * the value itself as a view of its block, which the item's reference keeps until written.
     */
    private void writeValue(ChannelHandlerContext ctx, Item item, boolean withCas) {
        ByteBuf header = out(ctx);
        MemorySegment block = item.raw();
        Replies.writeValueLine(header, block, item.keyLength, item.flags, item.valueLength, withCas, item.cas);
        stats.bytesWritten.add(header.readableBytes());
        ctx.write(header);
        out = null;
        ByteBuf value = Unpooled.wrappedBuffer(block.asSlice(ItemLayout.valueOffset(item.keyLength),
                item.valueLength + ItemLayout.TRAILER_BYTES).asByteBuffer());
        stats.bytesWritten.add(value.readableBytes());
        ctx.write(value).addListener(item); // the item's reference goes once Netty has written (or dropped) it
    }

    private void storage(ChannelHandlerContext ctx, StorageCommand command) {
        int required = command == StorageCommand.CAS ? 6 : 5;
        if (cmd.tokens != required && cmd.tokens != required + 1) {
            reply(ctx, Replies.ERROR);
            return;
        }
        boolean noreply = cmd.tokens == required + 1 && cmd.is(required, NOREPLY); // another extra token is ignored, as memcached does
        long flags = cmd.parseUnsigned(2);
        boolean badFlags = cmd.badNumber || flags > 0xFFFF_FFFFL;
        long exptime = cmd.parseSigned(3);
        boolean badExptime = cmd.badNumber;
        long length = cmd.parseSigned(4);
        boolean badLength = cmd.badNumber || length < 0 || length > Integer.MAX_VALUE - 2;
        long cas = command == StorageCommand.CAS ? cmd.parseUnsigned(5) : 0;
        boolean badCas = command == StorageCommand.CAS && cmd.badNumber;
        int keyLength = cmd.end[1] - cmd.start[1];
        if (badLength) {
            stats.protocolErrors.increment();
            reply(ctx, Replies.BAD_FORMAT); // no length to skip: the data, if any, reads as commands (as in memcached)
            return;
        }
        if (keyLength > ItemLayout.MAX_KEY_BYTES || badFlags || badExptime || badCas) {
            stats.protocolErrors.increment();
            reply(ctx, Replies.BAD_FORMAT);
            swallowRemaining = length + ItemLayout.TRAILER_BYTES; // so the data is not read as commands
            return;
        }
        loadKey(cmd.start[1], cmd.end[1]);
        int hash = ItemTable.hash(key, keyLength);
        if (!store.fits(keyLength, length)) {
            stats.tooLarge.increment();
            reply(ctx, Replies.TOO_LARGE);
            swallowRemaining = length + ItemLayout.TRAILER_BYTES;
            if (command == StorageCommand.SET) {
                store.unlinkKey(key, keyLength, hash); // as memcached: a failed set leaves no stale value
            }
            return;
        }
        long deadline = Expiry.deadline(exptime, store.nowSeconds());
        Item item = store.allocate(key, keyLength, hash, (int) length, (int) flags, deadline);
        if (item == null) {
            reply(ctx, Replies.OUT_OF_MEMORY_STORING);
            swallowRemaining = length + ItemLayout.TRAILER_BYTES;
            if (command == StorageCommand.SET) {
                store.unlinkKey(key, keyLength, hash);
            }
            return;
        }
        pending = item;
        pendingCommand = command;
        pendingCas = cas;
        pendingNoreply = noreply;
        pendingOffset = ItemLayout.valueOffset(keyLength);
        pendingEnd = ItemLayout.blockBytes(keyLength, length);
    }

    private void delete(ChannelHandlerContext ctx) {
        if (cmd.tokens < 2 || cmd.tokens > 4) {
            reply(ctx, Replies.ERROR);
            return;
        }
        boolean noreply = cmd.is(cmd.tokens - 1, NOREPLY);
        int extra = cmd.tokens - 2 - (noreply ? 1 : 0); // memcached still takes "delete <key> 0"
        if (extra > 1 || (extra == 1 && !cmd.is(2, ZERO))) {
            reply(ctx, Replies.BAD_DELETE);
            return;
        }
        int keyLength = cmd.end[1] - cmd.start[1];
        if (keyLength > ItemLayout.MAX_KEY_BYTES) {
            reply(ctx, Replies.BAD_FORMAT);
            return;
        }
        loadKey(cmd.start[1], cmd.end[1]);
        boolean deleted = store.delete(key, keyLength, ItemTable.hash(key, keyLength));
        if (!noreply) {
            reply(ctx, deleted ? Replies.DELETED : Replies.NOT_FOUND);
        }
    }

    private void arithmetic(ChannelHandlerContext ctx, boolean incr) {
        if (cmd.tokens != 3 && cmd.tokens != 4) {
            reply(ctx, Replies.ERROR);
            return;
        }
        boolean noreply = cmd.tokens == 4 && cmd.is(3, NOREPLY);
        int keyLength = cmd.end[1] - cmd.start[1];
        if (keyLength > ItemLayout.MAX_KEY_BYTES) {
            reply(ctx, Replies.BAD_FORMAT);
            return;
        }
        long delta = cmd.parseUnsigned(2);
        if (cmd.badNumber) {
            reply(ctx, Replies.BAD_DELTA);
            return;
        }
        loadKey(cmd.start[1], cmd.end[1]);
        StoreResult result = store.arithmetic(key, keyLength, ItemTable.hash(key, keyLength), incr, delta, arithmeticResult);
        switch (result) {
            case STORED -> {
                if (!noreply) {
                    ByteBuf o = out(ctx);
                    Replies.writeUnsigned(o, arithmeticResult[0]);
                    o.writeBytes(Replies.CRLF);
                }
            }
            case NOT_FOUND -> {
                if (!noreply) {
                    reply(ctx, Replies.NOT_FOUND);
                }
            }
            case NON_NUMERIC -> reply(ctx, Replies.NON_NUMERIC);
            default -> reply(ctx, Replies.OUT_OF_MEMORY);
        }
    }

    private void touch(ChannelHandlerContext ctx) {
        if (cmd.tokens != 3 && cmd.tokens != 4) {
            reply(ctx, Replies.ERROR);
            return;
        }
        boolean noreply = cmd.tokens == 4 && cmd.is(3, NOREPLY);
        int keyLength = cmd.end[1] - cmd.start[1];
        if (keyLength > ItemLayout.MAX_KEY_BYTES) {
            reply(ctx, Replies.BAD_FORMAT);
            return;
        }
        long exptime = cmd.parseSigned(2);
        if (cmd.badNumber) {
            reply(ctx, Replies.BAD_EXPTIME);
            return;
        }
        loadKey(cmd.start[1], cmd.end[1]);
        boolean touched = store.touch(key, keyLength, ItemTable.hash(key, keyLength),
                Expiry.deadline(exptime, store.nowSeconds()));
        if (!noreply) {
            reply(ctx, touched ? Replies.TOUCHED : Replies.NOT_FOUND);
        }
    }

    private void flushAll(ChannelHandlerContext ctx) {
        if (cmd.tokens > 3) {
            reply(ctx, Replies.ERROR);
            return;
        }
        boolean noreply = cmd.tokens > 1 && cmd.is(cmd.tokens - 1, NOREPLY);
        long delay = 0;
        if (cmd.tokens - (noreply ? 1 : 0) == 2) {
            delay = cmd.parseSigned(1);
            if (cmd.badNumber) {
                reply(ctx, Replies.BAD_EXPTIME); // memcached's words for a bad delay
                return;
            }
        } else if (cmd.tokens == 3) {
            reply(ctx, Replies.ERROR);
            return;
        }
        store.flushAll(delay);
        if (!noreply) {
            reply(ctx, Replies.OK);
        }
    }

    private int loadKey(int start, int stop) {
        int length = stop - start;
        System.arraycopy(cmd.bytes, start, keyBytes, 0, length);
        return length;
    }
}
