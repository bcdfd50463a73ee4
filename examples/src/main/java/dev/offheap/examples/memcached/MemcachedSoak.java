package dev.offheap.examples.memcached;

import dev.offheap.allocator.metrics.AllocatorSnapshot;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.transcoders.SerializingTranscoder;
import net.rubyeye.xmemcached.utils.AddrUtil;

import io.netty.buffer.PooledByteBufAllocator;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * A bounded soak (minutes, not CI): concurrent clients setting, getting and deleting over a
 * memory limit smaller than the data, every value read checked, server and clients in one JVM.
 * Every 10 s it samples the allocator's committed bytes (must stay within the limit), the
 * process's resident memory, the Java heap committed and Netty's pooled direct memory; at the end
 * the server shuts down and must report no leak. Exit status 0 when all held, 1 otherwise.
 *
 * <p>Options: {@code --minutes N} (default 2), {@code --memory-mb N} (default 32),
 * {@code --clients N} (default 8).
 */
public final class MemcachedSoak {
    private MemcachedSoak() {
    }

    public static void main(String[] args) throws Exception {
        int minutes = 2;
        long memoryMb = 32;
        int clients = 8;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--minutes" -> minutes = Integer.parseInt(args[++i]);
                case "--memory-mb" -> memoryMb = Long.parseLong(args[++i]);
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option: " + args[i]
                        + " (options: --minutes N, --memory-mb N, --clients N)");
            }
        }
        long limit = memoryMb << 20;
        MemcachedServer server = MemcachedServer.start(ServerConfig.defaults().withMemoryLimit(limit).withMetricsPort(-1));
        long rssBefore = residentBytes();
        boolean ok = true;
        long maxCommitted = 0;
        long maxRss = 0;
        long maxOutsideHeap = 0;
        long operations = 0;
        long wrong = 0;
        long errors = 0;
        XMemcachedClientBuilder builder = new XMemcachedClientBuilder(AddrUtil.getAddresses("127.0.0.1:" + server.port()));
        builder.setConnectionPoolSize(clients);
        builder.setOpTimeout(10_000);
        SerializingTranscoder transcoder = new SerializingTranscoder(2 << 20);
        transcoder.setCompressionThreshold(Integer.MAX_VALUE);
        builder.setTranscoder(transcoder);
        MemcachedClient client = builder.build();
        try {
            // 30 000 keys of 64 B - 8 KiB: about 120 MB of values over the limit
            LoadDriver driver = new LoadDriver(client, 30_000, 64, 8192, 5);
            long rounds = minutes * 6L;
            for (long round = 0; round < rounds; round++) {
                LoadDriver.Result r = driver.run(clients, Duration.ofSeconds(10), round);
                AllocatorSnapshot s = server.memorySnapshot();
                long rss = residentBytes();
                long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
                long nettyDirect = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
                maxCommitted = Math.max(maxCommitted, s.committedBytes());
                maxRss = Math.max(maxRss, rss);
                maxOutsideHeap = Math.max(maxOutsideHeap, rss - heap);
                operations += r.operations();
                wrong += r.wrongAnswers();
                errors += r.errors();
                System.out.printf(Locale.ROOT, "%3d s: %,8.0f ops/s, wrong %d, errors %d; items %,d, evictions %,d;"
                                + " committed %,d B of %,d B; resident %,d MB (Java heap committed %,d MB, Netty direct %,d MB)%n",
                        (round + 1) * 10, r.opsPerSecond(), r.wrongAnswers(), r.errors(), server.store().currItems(),
                        server.store().stats.evictions.sum(), s.committedBytes(), limit, rss >> 20, heap >> 20, nettyDirect >> 20);
            }
        } finally {
            client.shutdown();
        }
        ShutdownReport report = server.shutdown();
        ok &= wrong == 0 && errors == 0 && maxCommitted <= limit && report.clean();
        System.out.printf(Locale.ROOT, "soak: %,d operations, %d wrong, %d errors; committed at most %,d B (limit %,d B);"
                        + " resident at most %,d MB (%,d MB at start); resident outside the Java heap at most %,d MB"
                        + " (the items' limit is %,d MB); %s%n",
                operations, wrong, errors, maxCommitted, limit, maxRss >> 20, rssBefore >> 20, maxOutsideHeap >> 20,
                limit >> 20, report);
        System.out.println(ok ? "OK" : "FAILED");
        System.exit(ok ? 0 : 1);
    }

    private static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        return -1;
    }
}
