package dev.offheap.examples.memcached;

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
    private static final int MAX_TOKENS = 8;

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

    private byte[] line;
    private int lineLength;
    private final int[] tokenStart = new int[MAX_TOKENS];
    private final int[] tokenEnd = new int[MAX_TOKENS];
    private int tokens;
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
        stats.currConnections.decrement();
        dropPending(); // a client gone mid-value: its block goes back
        if (out != null) {
            out.release();
            out = null;
        }
        line = null;
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
            stats.bytesWritten.add(out.readableBytes());
            ctx.write(out);
            out = null;
        }
        ctx.flush();
    }

    private ByteBuf out(ChannelHandlerContext ctx) {
        if (out == null) {
            out = ctx.alloc().ioBuffer(512);
        }
        return out;
    }

    private void reply(ChannelHandlerContext ctx, byte[] reply) {
        out(ctx).writeBytes(reply);
    }

    // ---- reading ----

    private void readLine(ChannelHandlerContext ctx, ByteBuf in) {
        if (line == null) {
            line = new byte[MAX_LINE];
        }
        int from = in.readerIndex();
        int lf = in.indexOf(from, in.writerIndex(), (byte) '\n');
        int available = (lf < 0 ? in.writerIndex() : lf + 1) - from;
        if (discardingLine) { // the rest of a line already answered with an error
            in.skipBytes(available);
            discardingLine = lf < 0;
            return;
        }
        int n = Math.min(available, line.length - lineLength);
        in.readBytes(line, lineLength, n);
        lineLength += n;
        if (n == available && lf >= 0) {
            int end = lineLength - 1; // the '\n'
            if (end > 0 && line[end - 1] == '\r') {
                end--;
            }
            lineLength = 0;
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
        if (lineLength == line.length) { // full, and no end of line yet
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
        int lastSpace = lineLength - 1;
        while (lastSpace >= 0 && line[lastSpace] != ' ') {
            lastSpace--;
        }
        int from = 0;
        if (!retrieving) {
            tokenize(lastSpace < 0 ? 0 : lastSpace);
            retrievingWithCas = is(0, GETS) || is(0, GATS);
            retrievingTouch = is(0, GAT) || is(0, GATS);
            if (retrievingTouch) {
                long exptime = tokens >= 2 ? parseSigned(1) : 0;
                if (tokens < 2 || badNumber) {
                    failLongRetrieval(ctx, Replies.BAD_EXPTIME);
                    return;
                }
                retrievingDeadline = Expiry.deadline(exptime, store.nowSeconds());
                from = tokenEnd[1];
            } else {
                from = tokens >= 1 ? tokenEnd[0] : 0;
            }
            retrieving = true;
        }
        if (lastSpace < from || lineLength - lastSpace > ItemLayout.MAX_KEY_BYTES + 1) {
            failLongRetrieval(ctx, Replies.BAD_FORMAT); // a key longer than any key can be
            return;
        }
        if (!serveKeys(ctx, from, lastSpace)) {
            retrieving = false;
            lineLength = 0;
            discardingLine = true;
            return;
        }
        int rest = lineLength - lastSpace;
        System.arraycopy(line, lastSpace, line, 0, rest);
        lineLength = rest;
    }

    private void failLongRetrieval(ChannelHandlerContext ctx, byte[] error) {
        stats.protocolErrors.increment();
        reply(ctx, error);
        retrieving = false;
        lineLength = 0;
        discardingLine = true;
    }

    private boolean isRetrievalLine() {
        int i = 0;
        while (i < lineLength && line[i] == ' ') {
            i++;
        }
        return startsWith(i, GET) || startsWith(i, GAT);
    }

    private boolean startsWith(int at, byte[] word) {
        if (at + word.length + 1 > lineLength) {
            return false;
        }
        for (int j = 0; j < word.length; j++) {
            if (line[at + j] != word[j]) {
                return false;
            }
        }
        byte next = line[at + word.length];
        return next == ' ' || next == 's';
    }

    private void readValue(ChannelHandlerContext ctx, ByteBuf in) {
        int n = (int) Math.min(pendingEnd - pendingOffset, in.readableBytes());
        in.readBytes(pending.raw().asSlice(pendingOffset, n).asByteBuffer()); // network buffer -> off-heap, no heap copy
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
        tokenize(end);
        if (tokens == 0) {
            reply(ctx, Replies.ERROR);
            return;
        }
        if (is(0, GET)) {
            retrieve(ctx, false, false, end);
        } else if (is(0, GETS)) {
            retrieve(ctx, true, false, end);
        } else if (is(0, GAT)) {
            retrieve(ctx, false, true, end);
        } else if (is(0, GATS)) {
            retrieve(ctx, true, true, end);
        } else if (is(0, SET)) {
            storage(ctx, StorageCommand.SET);
        } else if (is(0, ADD)) {
            storage(ctx, StorageCommand.ADD);
        } else if (is(0, REPLACE)) {
            storage(ctx, StorageCommand.REPLACE);
        } else if (is(0, APPEND)) {
            storage(ctx, StorageCommand.APPEND);
        } else if (is(0, PREPEND)) {
            storage(ctx, StorageCommand.PREPEND);
        } else if (is(0, CAS)) {
            storage(ctx, StorageCommand.CAS);
        } else if (is(0, DELETE)) {
            delete(ctx);
        } else if (is(0, INCR)) {
            arithmetic(ctx, true);
        } else if (is(0, DECR)) {
            arithmetic(ctx, false);
        } else if (is(0, TOUCH)) {
            touch(ctx);
        } else if (is(0, FLUSH_ALL)) {
            flushAll(ctx);
        } else if (is(0, VERSION)) { // memcached ignores anything after "version"
            reply(ctx, VERSION_REPLY);
        } else if (is(0, VERBOSITY) && (tokens == 2 || tokens == 3)) {
            long level = parseUnsigned(1);
            statsReport.verbosity(badNumber ? 0 : level); // memcached reads a non-number as 0
            if (!is(tokens - 1, NOREPLY)) {
                reply(ctx, Replies.OK);
            }
        } else if (is(0, STATS) && tokens <= 2) {
            String sub = tokens == 1 ? "" : token(1);
            if (!statsReport.write(sub, out(ctx))) {
                reply(ctx, Replies.ERROR);
            }
        } else if (is(0, QUIT) && tokens == 1) {
            closeAfterReplies(ctx);
        } else {
            stats.protocolErrors.increment();
            reply(ctx, Replies.ERROR);
        }
    }

    /** get/gets/gat/gats on one line: every key is checked before any value is sent. */
    private void retrieve(ChannelHandlerContext ctx, boolean withCas, boolean touch, int end) {
        int pos = tokenEnd[0];
        retrievingWithCas = withCas;
        retrievingTouch = touch;
        if (touch) {
            if (tokens < 3) {
                reply(ctx, Replies.ERROR);
                return;
            }
            long exptime = parseSigned(1);
            if (badNumber) {
                reply(ctx, Replies.BAD_EXPTIME);
                return;
            }
            retrievingDeadline = Expiry.deadline(exptime, store.nowSeconds());
            pos = tokenEnd[1];
        }
        int keys = 0;
        for (int p = pos; ; ) {
            int start = skipSpaces(p, end);
            if (start == end) {
                break;
            }
            int stop = nextSpace(start, end);
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
     * Answers every key in {@code line[from, to)} as the retrieval in progress asks.
     *
     * @return false if a key was too long (a CLIENT_ERROR was sent; the rest of the line is not served)
     */
    private boolean serveKeys(ChannelHandlerContext ctx, int from, int to) {
        for (int p = from; ; ) {
            int start = skipSpaces(p, to);
            if (start == to) {
                return true;
            }
            int stop = nextSpace(start, to);
            if (stop - start > ItemLayout.MAX_KEY_BYTES) {
                stats.protocolErrors.increment();
                reply(ctx, Replies.BAD_FORMAT);
                return false;
            }
            int keyLength = loadKey(start, stop);
            int hash = ItemTable.hash(key, keyLength);
            Item item = retrievingTouch ? store.getAndTouch(key, keyLength, hash, retrievingDeadline)
                    : store.get(key, keyLength, hash);
            if (item != null) {
                writeValue(ctx, item, retrievingWithCas);
            }
            p = stop;
        }
    }

    /** VALUE line into the reply buffer, then the value itself as a view of its block. */
    private void writeValue(ChannelHandlerContext ctx, Item item, boolean withCas) {
        ByteBuf header = out(ctx);
        header.writeBytes(Replies.VALUE);
        MemorySegment block = item.raw();
        header.writeBytes(block.asSlice(0, item.keyLength).asByteBuffer());
        header.writeByte(' ');
        Replies.writeUnsigned(header, Integer.toUnsignedLong(item.flags));
        header.writeByte(' ');
        Replies.writeUnsigned(header, item.valueLength);
        if (withCas) {
            header.writeByte(' ');
            Replies.writeUnsigned(header, item.cas);
        }
        header.writeBytes(Replies.CRLF);
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
        if (tokens != required && tokens != required + 1) {
            reply(ctx, Replies.ERROR);
            return;
        }
        boolean noreply = tokens == required + 1 && is(required, NOREPLY); // another extra token is ignored, as memcached does
        long flags = parseUnsigned(2);
        boolean badFlags = badNumber || flags > 0xFFFF_FFFFL;
        long exptime = parseSigned(3);
        boolean badExptime = badNumber;
        long length = parseSigned(4);
        boolean badLength = badNumber || length < 0 || length > Integer.MAX_VALUE - 2;
        long cas = command == StorageCommand.CAS ? parseUnsigned(5) : 0;
        boolean badCas = command == StorageCommand.CAS && badNumber;
        int keyLength = tokenEnd[1] - tokenStart[1];
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
        loadKey(tokenStart[1], tokenEnd[1]);
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
        if (tokens < 2 || tokens > 4) {
            reply(ctx, Replies.ERROR);
            return;
        }
        boolean noreply = is(tokens - 1, NOREPLY);
        int extra = tokens - 2 - (noreply ? 1 : 0); // memcached still takes "delete <key> 0"
        if (extra > 1 || (extra == 1 && !is(2, ZERO))) {
            reply(ctx, Replies.BAD_DELETE);
            return;
        }
        int keyLength = tokenEnd[1] - tokenStart[1];
        if (keyLength > ItemLayout.MAX_KEY_BYTES) {
            reply(ctx, Replies.BAD_FORMAT);
            return;
        }
        loadKey(tokenStart[1], tokenEnd[1]);
        boolean deleted = store.delete(key, keyLength, ItemTable.hash(key, keyLength));
        if (!noreply) {
            reply(ctx, deleted ? Replies.DELETED : Replies.NOT_FOUND);
        }
    }

    private void arithmetic(ChannelHandlerContext ctx, boolean incr) {
        if (tokens != 3 && tokens != 4) {
            reply(ctx, Replies.ERROR);
            return;
        }
        boolean noreply = tokens == 4 && is(3, NOREPLY);
        int keyLength = tokenEnd[1] - tokenStart[1];
        if (keyLength > ItemLayout.MAX_KEY_BYTES) {
            reply(ctx, Replies.BAD_FORMAT);
            return;
        }
        long delta = parseUnsigned(2);
        if (badNumber) {
            reply(ctx, Replies.BAD_DELTA);
            return;
        }
        loadKey(tokenStart[1], tokenEnd[1]);
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
        if (tokens != 3 && tokens != 4) {
            reply(ctx, Replies.ERROR);
            return;
        }
        boolean noreply = tokens == 4 && is(3, NOREPLY);
        int keyLength = tokenEnd[1] - tokenStart[1];
        if (keyLength > ItemLayout.MAX_KEY_BYTES) {
            reply(ctx, Replies.BAD_FORMAT);
            return;
        }
        long exptime = parseSigned(2);
        if (badNumber) {
            reply(ctx, Replies.BAD_EXPTIME);
            return;
        }
        loadKey(tokenStart[1], tokenEnd[1]);
        boolean touched = store.touch(key, keyLength, ItemTable.hash(key, keyLength),
                Expiry.deadline(exptime, store.nowSeconds()));
        if (!noreply) {
            reply(ctx, touched ? Replies.TOUCHED : Replies.NOT_FOUND);
        }
    }

    private void flushAll(ChannelHandlerContext ctx) {
        if (tokens > 3) {
            reply(ctx, Replies.ERROR);
            return;
        }
        boolean noreply = tokens > 1 && is(tokens - 1, NOREPLY);
        long delay = 0;
        if (tokens - (noreply ? 1 : 0) == 2) {
            delay = parseSigned(1);
            if (badNumber) {
                reply(ctx, Replies.BAD_EXPTIME); // memcached's words for a bad delay
                return;
            }
        } else if (tokens == 3) {
            reply(ctx, Replies.ERROR);
            return;
        }
        store.flushAll(delay);
        if (!noreply) {
            reply(ctx, Replies.OK);
        }
    }

    // ---- tokens ----

    /** Splits the line on spaces, as memcached does; past {@value #MAX_TOKENS} tokens counts one more. */
    private void tokenize(int end) {
        tokens = 0;
        int p = skipSpaces(0, end);
        while (p < end) {
            int stop = nextSpace(p, end);
            if (tokens == MAX_TOKENS) {
                tokens++; // too many for any command but the retrievals, which scan the line themselves
                return;
            }
            tokenStart[tokens] = p;
            tokenEnd[tokens] = stop;
            tokens++;
            p = skipSpaces(stop, end);
        }
    }

    private int skipSpaces(int p, int end) {
        while (p < end && line[p] == ' ') {
            p++;
        }
        return p;
    }

    private int nextSpace(int p, int end) {
        while (p < end && line[p] != ' ') {
            p++;
        }
        return p;
    }

    private boolean is(int token, byte[] word) {
        if (token >= Math.min(tokens, MAX_TOKENS) || tokenEnd[token] - tokenStart[token] != word.length) {
            return false;
        }
        return java.util.Arrays.equals(line, tokenStart[token], tokenEnd[token], word, 0, word.length);
    }

    private String token(int token) {
        return new String(line, tokenStart[token], tokenEnd[token] - tokenStart[token], java.nio.charset.StandardCharsets.US_ASCII);
    }

    private int loadKey(int start, int stop) {
        int length = stop - start;
        System.arraycopy(line, start, keyBytes, 0, length);
        return length;
    }

    /** Set by the number parsers: the last token read was not a number in range. */
    private boolean badNumber;

    private long parseUnsigned(int token) {
        badNumber = true;
        int s = tokenStart[token];
        int e = tokenEnd[token];
        if (e - s == 0 || e - s > 20) {
            return 0;
        }
        long value = 0;
        for (int i = s; i < e; i++) {
            int d = line[i] - '0';
            if (d < 0 || d > 9) {
                return 0;
            }
            long times10 = value * 10;
            if (Long.compareUnsigned(value, Long.divideUnsigned(-1L, 10)) > 0 || Long.compareUnsigned(times10 + d, times10) < 0) {
                return 0;
            }
            value = times10 + d;
        }
        badNumber = false;
        return value;
    }

    /** A signed 32-bit number, as memcached's {@code safe_strtol}. */
    private long parseSigned(int token) {
        int s = tokenStart[token];
        boolean negative = s < tokenEnd[token] && line[s] == '-';
        if (negative) {
            tokenStart[token]++;
        }
        long magnitude = parseUnsigned(token);
        if (negative) {
            tokenStart[token]--;
        }
        if (badNumber || magnitude > (negative ? 1L << 31 : Integer.MAX_VALUE)) {
            badNumber = true;
            return 0;
        }
        return negative ? -magnitude : magnitude;
    }
}
