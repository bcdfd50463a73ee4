package dev.offheap.examples;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.allocator.metrics.micrometer.OffHeapMetrics;
import dev.offheap.allocator.region.Region;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * Binds a region and a bump arena to a Prometheus registry, works them, and prints the scrape
 * that Prometheus would read (and that {@code examples/grafana/offheap-dashboard.json} charts).
 * Run it with {@code ./mvnw -Prun-example -DskipTests package -pl examples -am
 * -Dexample.main=dev.offheap.examples.MetricsDemo}.
 */
public final class MetricsDemo {
    private MetricsDemo() {
    }

    public static void main(String[] args) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("service", "metrics-demo");
        try (Region region = Region.builder().name("demo-region").reserve(1L << 30).limit(64L << 20).build();
             BumpArena arena = BumpArena.builder().name("demo-bump").region(region).build()) {
            new OffHeapMetrics(region, Tags.empty()).bindTo(registry);
            new OffHeapMetrics(arena, Tags.empty()).bindTo(registry);
            for (int i = 0; i < 100_000; i++) {
                arena.allocate(64, 8);
            }
            try {
                arena.allocate(128L << 20, 8); // over the region's limit: counted as a failure
            } catch (OutOfOffHeapMemoryException expected) {
                System.out.println("# refused as expected: " + expected.getMessage());
            }
            registry.scrape().lines().filter(line -> line.contains("offheap")).forEach(System.out::println);
        }
    }
}
