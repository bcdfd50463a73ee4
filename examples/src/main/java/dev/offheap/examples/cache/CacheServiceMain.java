package dev.offheap.examples.cache;

import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.micrometer.OffHeapMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.Locale;

/**
 * The example service: an HTTP key-value cache whose values live in an {@link OffHeap} allocator,
 * with its Micrometer metrics on {@code /metrics} in Prometheus' format.
 *
 * <p>On its embedded defaults it starts on a free loopback port, drives itself with a real HTTP
 * client ({@link LoadClient}) for a few seconds, prints what the client measured and the off-heap
 * meters from a real scrape, empties the cache, checks that no block is left, and exits: 0 when
 * every answer was right and nothing leaked, 1 otherwise.
 *
 * <p>Options: {@code --seconds N} (load duration, default 5), {@code --clients N} (client threads,
 * default 2), {@code --port P} (default 0: any free port), {@code --serve} (no built-in load: serve
 * until the process is stopped, for a Prometheus to scrape and the Grafana dashboard in
 * {@code examples/grafana} to show).
 */
public final class CacheServiceMain {
    private CacheServiceMain() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = 5;
        int clients = 2;
        int port = 0;
        boolean serve = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--serve" -> serve = true;
                default -> throw new IllegalArgumentException("unknown option: " + args[i]
                        + " (options: --seconds N, --clients N, --port P, --serve)");
            }
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        try (OffHeap memory = OffHeap.builder().name("cache").limit(256L << 20).build()) {
            new OffHeapMetrics(memory).bindTo(registry);
            OffHeapCache cache = new OffHeapCache(memory);
            try (CacheServer server = new CacheServer(cache, registry::scrape, port, 4)) {
                System.out.printf("cache service on http://127.0.0.1:%d/cache/{key}, metrics on /metrics%n", server.port());
                if (serve) {
                    Thread.currentThread().join(); // until the process is stopped
                }
                LoadClient.Summary summary = new LoadClient(server.port())
                        .run(clients, Duration.ofSeconds(seconds), 2_000, 256 * 1024, 42);
                System.out.printf(Locale.ROOT, "client: %d requests in %d s, %d errors, %d wrong answers, "
                                + "latency p50=%.0f µs p99=%.0f µs p99.9=%.0f µs%n", summary.requests(), seconds,
                        summary.errors(), summary.wrongAnswers(), summary.p50Micros(), summary.p99Micros(),
                        summary.p999Micros());
                AllocatorSnapshot during = memory.snapshot();
                System.out.printf("off-heap while holding %d values: live blocks=%d, used=%,d B, committed=%,d B%n",
                        cache.size(), during.liveBlocks(), during.usedBytes(), during.committedBytes());
                System.out.println("scrape of /metrics (offheap meters):");
                registry.scrape().lines()
                        .filter(line -> line.startsWith("offheap_memory") || line.startsWith("offheap_allocations")
                                || line.startsWith("offheap_frees") || line.startsWith("offheap_blocks"))
                        .forEach(line -> System.out.println("  " + line));
                cache.clear();
                AllocatorSnapshot after = memory.snapshot();
                System.out.printf("after clearing the cache: live blocks=%d, leaks=%d, double frees=%d%n",
                        after.liveBlocks(), after.leaks(), after.doubleFrees());
                boolean ok = summary.requests() > 0 && summary.errors() == 0 && summary.wrongAnswers() == 0
                        && after.liveBlocks() == 0 && after.leaks() == 0;
                System.out.println(ok ? "OK" : "FAILED");
                if (!ok) {
                    System.exit(1);
                }
            }
        }
    }
}
