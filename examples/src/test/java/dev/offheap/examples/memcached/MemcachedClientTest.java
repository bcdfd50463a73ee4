package dev.offheap.examples.memcached;

import net.rubyeye.xmemcached.GetsResponse;
import net.rubyeye.xmemcached.MemcachedClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The server under a real Java memcached client (xmemcached), over loopback. */
@Timeout(120)
class MemcachedClientTest {

    @Test
    void everyCommandAnswersAsMemcachedDoes() throws Exception {
        try (ServerFixture f = new ServerFixture()) {
            ProtocolCheck check = new ProtocolCheck(f.client(), f.port(), f.server.config().memoryLimitBytes());
            List<String> failures = check.run();
            assertEquals(List.of(), failures);
            assertTrue(check.checks() > 40, "checks=" + check.checks());
        }
    }

    @Test
    void casSemantics() throws Exception {
        try (ServerFixture f = new ServerFixture()) {
            MemcachedClient c = f.client();
            assertFalse(c.cas("absent", 0, "x", 1), "cas on a missing key is NOT_FOUND");
            assertTrue(c.set("k", 0, "a"));
            GetsResponse<String> first = c.gets("k");
            assertTrue(c.set("k", 0, "b"), "a set changes the unique");
            GetsResponse<String> second = c.gets("k");
            assertNotNull(first);
            assertNotNull(second);
            assertTrue(second.getCas() != first.getCas(), "cas uniques: " + first.getCas() + ", " + second.getCas());
            assertFalse(c.cas("k", 0, "c", first.getCas()), "a stale unique is EXISTS");
            assertEquals("b", c.get("k"));
            assertTrue(c.cas("k", 0, "c", second.getCas()));
            assertEquals("c", c.get("k"));
            assertTrue(c.touch("k", 100));
            assertEquals(c.gets("k").getCas(), c.gets("k").getCas(), "reads do not change the unique");
            try (TextExchange raw = f.raw()) {
                long unique = c.gets("k").getCas();
                assertEquals("EXISTS\r\n", raw.call("cas k 0 0 1 " + (unique + 1) + "\r\nd\r\n", "\r\n"));
                assertEquals("STORED\r\n", raw.call("cas k 0 0 1 " + unique + "\r\nd\r\n", "\r\n"));
                assertEquals("NOT_FOUND\r\n", raw.call("cas gone 0 0 1 1\r\nd\r\n", "\r\n"));
            }
        }
    }

    @Test
    void concurrentIncrementsAreNeverLost() throws Exception {
        try (ServerFixture f = new ServerFixture()) {
            MemcachedClient c = f.client();
            c.set("counter", 0, "0");
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < 500; i++) {
                            c.incr("counter", 1);
                        }
                        return null;
                    }));
                }
                for (Future<?> d : done) {
                    d.get();
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals("2000", c.get("counter"));
            assertEquals(1999, c.decr("counter", 1));
        }
    }

    @Test
    void largeValuesRoundTripAndMultiGetReturnsEachKey() throws Exception {
        try (ServerFixture f = new ServerFixture()) {
            MemcachedClient c = f.client();
            for (int size : new int[] {0, 1, 100, 32 * 1024 - 10, 32 * 1024 + 10, 500_000, (1 << 20) - 100}) {
                byte[] v = ValueCodec.encode(size, 3, size);
                assertTrue(c.set("v" + size, 0, v));
                assertTrue(ValueCodec.check(size, c.get("v" + size)), "size=" + size);
            }
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                c.set("m" + i, 0, "value" + i);
                keys.add("m" + i);
            }
            var got = c.<String>get(keys);
            assertEquals(300, got.size());
            for (int i = 0; i < 300; i++) {
                assertEquals("value" + i, got.get("m" + i));
            }
        }
    }
}
