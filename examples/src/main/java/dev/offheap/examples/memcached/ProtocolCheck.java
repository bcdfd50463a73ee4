package dev.offheap.examples.memcached;

import net.rubyeye.xmemcached.GetsResponse;
import net.rubyeye.xmemcached.MemcachedClient;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every command of the text protocol once, through a real client, each answer compared with what
 * memcached answers; the failures are collected, not thrown, so one run names all of them.
 *
 * <p>Thread-safety: one {@link #run} at a time.
 */
final class ProtocolCheck {
    private final MemcachedClient client;
    private final long memoryLimitBytes;
    private final int port;
    private final List<String> failures = new ArrayList<>();
    private int checks;

    ProtocolCheck(MemcachedClient client, int port, long memoryLimitBytes) {
        this.client = client;
        this.port = port;
        this.memoryLimitBytes = memoryLimitBytes;
    }

    /** {@return the failed checks, empty when every answer was right} */
    List<String> run() throws Exception {
        client.flushAll();
        check("get of a missing key is a miss", client.get("missing") == null);
        check("set stores", client.set("k1", 0, "v1"));
        check("get returns what was set", "v1".equals(client.get("k1")));
        check("add of an existing key is refused", !client.add("k1", 0, "other"));
        check("add of a new key stores", client.add("k2", 0, "v2"));
        check("replace of a missing key is refused", !client.replace("k3", 0, "v3"));
        check("replace of an existing key stores", client.replace("k2", 0, "v2b"));
        check("replace took effect", "v2b".equals(client.get("k2")));
        check("append", client.append("k1", "-tail"));
        check("prepend", client.prepend("k1", "head-"));
        check("append and prepend compose", "head-v1-tail".equals(client.get("k1")));
        check("append to a missing key is refused", !client.append("nothing", "x"));
        GetsResponse<String> gets = client.gets("k1");
        check("gets returns the value and a cas unique", gets != null && "head-v1-tail".equals(gets.getValue()) && gets.getCas() > 0);
        check("cas with the current unique stores", gets != null && client.cas("k1", 0, "swapped", gets.getCas()));
        check("cas with a stale unique is refused", gets != null && !client.cas("k1", 0, "again", gets.getCas()));
        check("cas took effect once", "swapped".equals(client.get("k1")));
        check("delete of a present key", client.delete("k2"));
        check("delete of a missing key", !client.delete("k2"));
        check("deleted key is gone", client.get("k2") == null);
        check("set of a counter", client.set("n", 0, "10"));
        check("incr", client.incr("n", 5) == 15);
        check("decr", client.decr("n", 3) == 12);
        check("decr stops at 0", client.decr("n", 100) == 0);
        check("incr of a missing key creates it with the initial value", client.incr("fresh-counter", 1, 100) == 100);
        check("touch of a present key", client.touch("k1", 3600));
        check("touch of a missing key", !client.touch("nope", 3600));
        try (TextExchange raw = new TextExchange(port)) { // xmemcached sends gat only in the binary protocol
            String gat = raw.call("gat 3600 k1 nope\r\n", "END\r\n");
            check("gat returns the value", gat.equals("VALUE k1 0 7\r\nswapped\r\nEND\r\n"));
            String gats = raw.call("gats 3600 k1\r\n", "END\r\n");
            check("gats returns the value and its cas unique", gats.matches("VALUE k1 0 7 \\d+\r\nswapped\r\nEND\r\n"));
            check("stats settings", raw.call("stats settings\r\n", "END\r\n").contains("STAT maxbytes " + memoryLimitBytes + "\r\n"));
            check("stats items", raw.call("stats items\r\n", "END\r\n").contains(":number "));
        }
        long now = System.currentTimeMillis() / 1000;
        check("an absolute expiry in the future keeps the item", client.set("abs-future", (int) (now + 3600), "x")
                && "x".equals(client.get("abs-future")));
        check("an absolute expiry in the past has expired", client.set("abs-past", (int) (now - 3600), "x")
                && client.get("abs-past") == null);
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            expected.put("multi:" + i, "value-" + i);
            client.set("multi:" + i, 0, "value-" + i);
        }
        List<String> asked = new ArrayList<>(expected.keySet());
        asked.add("multi:absent");
        check("a get of 101 keys returns the 100 present, each right", expected.equals(client.<String>get(asked)));
        byte[] large = ValueCodec.encode(7, 1, 512 * 1024);
        check("a 512 KiB value round-trips", client.set("large", 0, large) && ValueCodec.check(7, client.get("large")));
        try {
            client.set("too-large", 0, new byte[2 << 20]);
            check("a value above the item size limit is refused", false);
        } catch (Exception expectedRefusal) {
            check("the refusal says the object is too large",
                    String.valueOf(expectedRefusal.getMessage()).contains("object too large for cache"));
        }
        check("the server answers after a refusal", "swapped".equals(client.get("k1")));
        Map<InetSocketAddress, String> versions = client.getVersions();
        check("version", versions.size() == 1 && versions.values().iterator().next().startsWith("1.6"));
        Map<String, String> stats = client.getStats().values().iterator().next();
        check("stats: limit_maxbytes is the memory limit", Long.toString(memoryLimitBytes).equals(stats.get("limit_maxbytes")));
        check("stats: curr_items counts the items", Long.parseLong(stats.getOrDefault("curr_items", "-1")) >= 100);
        check("stats: bytes is the allocator's used bytes", Long.parseLong(stats.getOrDefault("bytes", "-1")) > 512 * 1024);
        Map<String, String> slabs = client.getStatsByItem("slabs").values().iterator().next();
        check("stats slabs: reports the allocator's size classes", Long.parseLong(slabs.getOrDefault("active_slabs", "0")) > 0);
        client.flushAll();
        check("flush_all drops every item", client.get("k1") == null && client.get("multi:1") == null);
        return failures;
    }

    int checks() {
        return checks;
    }

    private void check(String name, boolean ok) {
        checks++;
        if (!ok) {
            failures.add(name);
        }
    }
}
