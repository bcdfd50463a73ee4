package dev.offheap.examples.memcached;

import dev.offheap.allocator.metrics.AllocatorSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LRU eviction under the allocator's limit. */
@Timeout(120)
class EvictionTest {

    @Test
    void fourTimesTheLimitStaysWithinItAndEvictsTheLeastRecentlyUsed() throws Exception {
        long limit = 8L << 20;
        try (ServerFixture f = new ServerFixture(ServerConfig.defaults().withMetricsPort(-1).withMemoryLimit(limit));
             TextExchange raw = f.raw()) {
            byte[] value = new byte[1000];
            java.util.Arrays.fill(value, (byte) 'v');
            assertEquals("STORED\r\n", raw.call("set hot 0 0 3\r\nhot\r\n", "\r\n"));
            int keys = 32_000; // about 32 MB of values
            for (int i = 0; i < keys; i++) {
                raw.send(("set k" + i + " 0 0 " + value.length + " noreply\r\n").getBytes(StandardCharsets.US_ASCII));
                raw.send(value);
                raw.send("\r\n".getBytes(StandardCharsets.US_ASCII));
                if (i % 500 == 0) {
                    assertEquals("VALUE hot 0 3\r\nhot\r\nEND\r\n", raw.call("get hot\r\n", "END\r\n"), "a key in use stays: i=" + i);
                }
                if (i % 1000 == 0) {
                    AllocatorSnapshot s = f.server.memorySnapshot();
                    assertTrue(s.committedBytes() <= limit, "committed=" + s.committedBytes() + ", i=" + i);
                }
            }
            assertEquals("VALUE hot 0 3\r\nhot\r\nEND\r\n", raw.call("get hot\r\n", "END\r\n"));
            assertEquals("VALUE k" + (keys - 1) + " 0 1000\r\n" + "v".repeat(1000) + "\r\nEND\r\n",
                    raw.call("get k" + (keys - 1) + "\r\n", "END\r\n"), "the newest key is there");
            assertEquals("END\r\n", raw.call("get k0\r\n", "END\r\n"), "the oldest key was evicted");
            long evictions = f.store().stats.evictions.sum();
            long items = f.store().currItems();
            assertTrue(evictions > keys / 2, "evictions=" + evictions);
            assertEquals(keys + 1, items + evictions, "every key stored is either held or was evicted");
            // eviction makes room for the bytes asked; the allocator rounds them up to the class (1152 B)
            assertTrue(f.store().heldBytes() <= f.store().evictAboveBytes() + 1152, "held=" + f.store().heldBytes());
            assertEquals(0, f.store().stats.outOfMemory.sum(), "eviction made room every time");
            String stats = raw.call("stats\r\n", "END\r\n");
            assertTrue(stats.contains("STAT evictions " + evictions + "\r\n"), stats);
            assertTrue(stats.contains("STAT limit_maxbytes " + limit + "\r\n"), stats);
            assertTrue(stats.contains("STAT curr_items " + items + "\r\n"), stats);
            String slabs = raw.call("stats slabs\r\n", "END\r\n");
            assertTrue(slabs.contains(":chunk_size 1152\r\n"),
                    "the items' class (48 B header + key + value + 2 = 1056 B at most): " + slabs);
        }
    }
}
