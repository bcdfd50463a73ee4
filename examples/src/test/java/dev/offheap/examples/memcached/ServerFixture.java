package dev.offheap.examples.memcached;

import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.transcoders.SerializingTranscoder;
import net.rubyeye.xmemcached.utils.AddrUtil;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server for one test case, on a clock the test can move, and the leak check every case ends
 * with: once the store is emptied and every reply written, no block is left; the allocator closes
 * with no leak reported.
 */
final class ServerFixture implements AutoCloseable {
    /** A clock the test moves by hand; starts at the real time. */
    static final class ManualClock implements InstantSource {
        private final AtomicLong millis = new AtomicLong(System.currentTimeMillis());

        void advanceSeconds(long seconds) {
            millis.addAndGet(seconds * 1000);
        }

        long nowSeconds() {
            return millis.get() / 1000;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }

        @Override
        public long millis() {
            return millis.get();
        }
    }

    final ManualClock clock = new ManualClock();
    final MemcachedServer server;
    private MemcachedClient client;

    ServerFixture() throws Exception {
        this(ServerConfig.defaults().withMetricsPort(-1));
    }

    ServerFixture(ServerConfig config) throws Exception {
        server = MemcachedServer.start(config.withClock(clock));
    }

    int port() {
        return server.port();
    }

    ItemStore store() {
        return server.store();
    }

    TextExchange raw() throws IOException {
        return new TextExchange(port());
    }

    /** {@return a real Java memcached client (xmemcached, text protocol), values sent as they are} */
    MemcachedClient client() throws IOException {
        if (client == null) {
            XMemcachedClientBuilder builder = new XMemcachedClientBuilder(AddrUtil.getAddresses("127.0.0.1:" + port()));
            builder.setOpTimeout(10_000);
            builder.setConnectionPoolSize(2);
            SerializingTranscoder transcoder = new SerializingTranscoder(4 << 20);
            transcoder.setCompressionThreshold(Integer.MAX_VALUE);
            builder.setTranscoder(transcoder);
            client = builder.build();
        }
        return client;
    }

    /** Waits (up to 10 s) until {@code condition} holds; fails with {@code what} otherwise. */
    static void eventually(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not reached in 10 s: " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + what, e);
            }
        }
    }

    /**
     * The check every case ends with: every block the store holds is a linked item (nothing held
     * by a dead connection or a finished reply), then after shutdown nothing is left or leaked.
     */
    @Override
    public void close() throws IOException {
        if (client != null) {
            client.shutdown();
        }
        ItemStore store = store();
        eventually("every block held is a linked item: held=" + store.heldBlocks() + ", items=" + store.currItems(),
                () -> store.heldBlocks() == store.currItems());
        assertEquals(store.heldBlocks(), server.memorySnapshot().liveBlocks(), "the allocator's live blocks are the store's");
        ShutdownReport report = server.shutdown();
        assertEquals(0, report.blocksLeftAfterDrain(), "blocks left after drain: " + report);
        assertEquals(0, report.leaksReported(), "leaks reported at close: " + report);
        assertEquals(0, report.doubleFrees(), "double frees: " + report);
        assertTrue(report.clean());
    }
}
