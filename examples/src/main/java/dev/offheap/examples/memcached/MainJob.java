package dev.offheap.examples.memcached;

import dev.offheap.allocator.metrics.AllocatorSnapshot;
import io.netty.buffer.PooledByteBufAllocator;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.transcoders.SerializingTranscoder;
import net.rubyeye.xmemcached.utils.AddrUtil;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * The example's main job: a memcached-compatible server whose items live off-heap in this
 * library, checked and measured with a real memcached client (xmemcached).
 *
 * <p>On its embedded defaults it starts the server on a free loopback port (64 MiB, 2 threads),
 * runs every protocol command once and checks each answer ({@link ProtocolCheck}), drives it from
 * several client threads for a few seconds over more data than the limit holds, checking every
 * value read ({@link LoadDriver}), prints throughput, latency percentiles and the allocator's
 * meters from a real scrape of {@code /metrics}, shuts the server down and exits 0 — or 1 on any
 * wrong answer, client error or leak.
 *
 * <p>Options: {@code --serve PORT} serves on that port until SIGTERM (then drains, closes the
 * allocator and reports leaks; exit status 1 if anything leaked); {@code --memory-mb N} (default 64);
 * {@code --threads N} (server worker threads, default 2); {@code --metrics-port P} (default: any
 * free port); {@code --seconds N} and {@code --clients N} (the load, default 5 and 4);
 * {@code --netty-pooled} takes the network buffers from Netty's {@code PooledByteBufAllocator}
 * instead of the library's adapter (the items stay in the library), to compare the two.
 */
public final class MainJob {
    private MainJob() {
    }

    public static void main(String[] args) throws Exception {
        int servePort = -1;
        int seconds = 5;
        int clients = 4;
        ServerConfig config = ServerConfig.defaults();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--serve" -> servePort = Integer.parseInt(args[++i]);
                case "--memory-mb" -> config = config.withMemoryLimit(Long.parseLong(args[++i]) << 20);
                case "--threads" -> config = config.withWorkerThreads(Integer.parseInt(args[++i]));
                case "--metrics-port" -> config = config.withMetricsPort(Integer.parseInt(args[++i]));
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--netty-pooled" -> config = config.withNetworkAllocator(PooledByteBufAllocator.DEFAULT);
                default -> {
                    System.err.println("unknown option: " + args[i] + " (options: --serve PORT, --memory-mb N, "
                            + "--threads N, --metrics-port P, --seconds N, --clients N, --netty-pooled)");
                    System.exit(2);
                }
            }
        }
        if (servePort >= 0) {
            serve(config.withPort(servePort));
        } else {
            System.exit(selfCheck(config, seconds, clients) ? 0 : 1);
        }
    }

    private static void serve(ServerConfig config) throws Exception {
        MemcachedServer server = MemcachedServer.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ShutdownReport report = server.shutdown();
            System.out.println("stopped: " + report);
            System.out.flush();
            stopped.countDown();
            if (!report.clean()) {
                Runtime.getRuntime().halt(1);
            }
        }, "memcached-shutdown"));
        String metrics = server.metricsPort() < 0 ? "no metrics endpoint"
                : "metrics on http://" + config.host() + ":" + server.metricsPort() + "/metrics";
        System.out.printf("memcached text protocol on %s:%d (%d MiB, %d threads), %s, pid %d%n", config.host(),
                server.port(), config.memoryLimitBytes() >> 20, config.workerThreads(), metrics, ProcessHandle.current().pid());
        System.out.flush();
        stopped.await();
    }

    private static boolean selfCheck(ServerConfig config, int seconds, int clients) throws Exception {
        MemcachedServer server = MemcachedServer.start(config);
        boolean ok = true;
        MemcachedClient client = null;
        try {
            System.out.printf("server on 127.0.0.1:%d, %d MiB limit, %d worker threads; metrics on http://127.0.0.1:%d/metrics%n",
                    server.port(), config.memoryLimitBytes() >> 20, config.workerThreads(), server.metricsPort());
            XMemcachedClientBuilder builder = new XMemcachedClientBuilder(AddrUtil.getAddresses("127.0.0.1:" + server.port()));
            builder.setConnectionPoolSize(clients);
            builder.setOpTimeout(5_000);
            SerializingTranscoder transcoder = new SerializingTranscoder(2 << 20);
            transcoder.setCompressionThreshold(Integer.MAX_VALUE); // values as they are: the server stores bytes
            builder.setTranscoder(transcoder);
            client = builder.build();

            ProtocolCheck protocol = new ProtocolCheck(client, server.port(), config.memoryLimitBytes());
            List<String> failures = protocol.run();
            System.out.printf("protocol: %d checks, %d failed%s%n", protocol.checks(), failures.size(),
                    failures.isEmpty() ? "" : ": " + failures);
            ok &= failures.isEmpty();

            // 40 000 keys of 256 B - 4 KiB: about 87 MB of values for a 64 MiB limit, so eviction runs.
            LoadDriver driver = new LoadDriver(client, 40_000, 256, 4096);
            driver.fill(42);
            LoadDriver.Result load = driver.run(clients, Duration.ofSeconds(seconds), 43);
            Histogram h = load.latencyNanos();
            System.out.printf(Locale.ROOT, "load: %d clients, %.1f s, %,d operations, %,.0f ops/s; gets %,d (hits %.1f %%), sets %,d;"
                            + " wrong answers %d, errors %d%n", clients, load.elapsed().toMillis() / 1e3, load.operations(),
                    load.opsPerSecond(), load.gets(), 100.0 * load.hits() / Math.max(1, load.gets()), load.sets(),
                    load.wrongAnswers(), load.errors());
            System.out.printf(Locale.ROOT, "latency (µs): p50 %.0f, p90 %.0f, p99 %.0f, p99.9 %.0f, max %.0f%n",
                    h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
                    h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3);
            ok &= load.wrongAnswers() == 0 && load.errors() == 0 && load.operations() > 0;

            String scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + server.metricsPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            System.out.println("scrape of /metrics (the allocator's meters and the server's):");
            scrape.lines().filter(l -> (l.startsWith("offheap_memory") || l.startsWith("offheap_blocks")
                            || l.startsWith("offheap_allocations") || l.startsWith("offheap_frees") || l.startsWith("offheap_leaks")
                            || l.startsWith("memcached_evictions") || l.startsWith("memcached_items") || l.startsWith("memcached_held")))
                    .forEach(l -> System.out.println("  " + l));
            boolean scraped = scrape.contains("offheap_memory_used_bytes") && scrape.contains("memcached_items");
            if (!scraped) {
                System.out.println("the scrape lacks the allocator's or the server's meters");
            }
            ok &= scraped;
            AllocatorSnapshot during = server.memorySnapshot();
            long evictions = server.store().stats.evictions.sum();
            System.out.printf("allocator: used %,d B, committed %,d B of a %,d B limit, %,d live blocks; %,d evictions%n",
                    during.usedBytes(), during.committedBytes(), config.memoryLimitBytes(), during.liveBlocks(), evictions);
            boolean expectEvictions = config.memoryLimitBytes() < (80L << 20); // the data loaded is about 87 MB
            boolean bounded = during.committedBytes() <= config.memoryLimitBytes() && (evictions > 0 || !expectEvictions);
            if (!bounded) {
                System.out.println("more data than the limit was stored, yet the limit was passed or nothing was evicted");
            }
            ok &= bounded;
        } finally {
            if (client != null) {
                client.shutdown();
            }
            ShutdownReport report = server.shutdown();
            System.out.printf("shutdown: blocks left after drain %d, leaks reported %d, double frees %d%n",
                    report.blocksLeftAfterDrain(), report.leaksReported(), report.doubleFrees());
            ok &= report.clean();
        }
        System.out.println(ok ? "OK" : "FAILED");
        return ok;
    }
}
