package dev.offheap.allocator.metrics.micrometer;

import dev.offheap.allocator.region.Region;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.List;

import static dev.offheap.allocator.metrics.AllocatorSnapshotsTest.regionAfterKnownSequence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The names, units, help texts, tags and values a Prometheus scrape shows; the dashboard relies on them. */
class PrometheusScrapeTest {

    /** The Prometheus name of a meter: snake case, {@code _bytes} for bytes, {@code _total} for counters. */
    static String prometheusName(OffHeapMeters meter) {
        String name = meter.getName().replace('.', '_');
        if ("bytes".equals(meter.getBaseUnit())) {
            name += "_bytes";
        }
        return meter.getType() == Meter.Type.COUNTER ? name + "_total" : name;
    }

    @Test
    void scrapeHasEveryMeterWithItsNameUnitHelpAndTags() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (Region region = regionAfterKnownSequence("r1")) {
            // Prometheus wants one set of tag keys per name: both binders get the same extra keys.
            new OffHeapMetrics(region, Tags.of("service", "orders"), Duration.ZERO).bindTo(registry);
            new OffHeapMetrics(new ScriptedAllocator(ScriptedAllocator.distinctValues("s1")),
                    Tags.of("service", "orders"), Duration.ZERO).bindTo(registry);
            List<String> lines = registry.scrape().lines().toList();

            for (OffHeapMeters meter : OffHeapMeters.values()) {
                String name = prometheusName(meter);
                String type = meter.getType() == Meter.Type.COUNTER ? "counter" : "gauge";
                assertTrue(lines.contains("# HELP " + name + " " + meter.getDescription()), name + " help");
                assertTrue(lines.contains("# TYPE " + name + " " + type), name + " type");
                if (meter.isPerSizeClass()) {
                    for (String sizeClass : List.of("16", "64")) {
                        assertEquals(1, count(lines, name + "{kind=\"slab\",name=\"s1\",service=\"orders\",size_class=\""
                                + sizeClass + "\"} "), name + " size class " + sizeClass);
                    }
                    assertEquals(2, count(lines, name + "{"), name + ": only the slab has size classes");
                } else if (meter.isPerMisuseType()) {
                    for (OffHeapMeters.MisuseType misuse : OffHeapMeters.MisuseType.values()) {
                        for (String allocator : List.of("kind=\"region\",name=\"r1\"", "kind=\"slab\",name=\"s1\"")) {
                            assertEquals(1, count(lines, name + "{" + allocator + ",service=\"orders\",type=\""
                                    + misuse.tagValue() + "\"} "), name + " " + allocator + " " + misuse);
                        }
                    }
                } else if (meter.isPerRegion()) {
                    assertEquals(1, count(lines, name + "{kind=\"region\",name=\"r1\",service=\"orders\"} "), name);
                    assertEquals(1, count(lines, name + "{"), name + ": only the region owns its memory");
                } else {
                    assertEquals(1, count(lines, name + "{kind=\"region\",name=\"r1\",service=\"orders\"} "), name);
                    assertEquals(1, count(lines, name + "{kind=\"slab\",name=\"s1\",service=\"orders\"} "), name);
                }
            }
            // A few values, as Prometheus prints them.
            assertTrue(lines.contains("offheap_memory_committed_bytes{kind=\"region\",name=\"r1\",service=\"orders\"} 6291456.0"));
            assertTrue(lines.contains("offheap_memory_reserved_bytes{kind=\"region\",name=\"r1\",service=\"orders\"} 6.7108864E7"));
            assertTrue(lines.contains("offheap_allocations_failed_total{kind=\"region\",name=\"r1\",service=\"orders\"} 1.0"));
            assertTrue(lines.contains("offheap_memory_decommitted_bytes_total{kind=\"region\",name=\"r1\",service=\"orders\"} 2097152.0"));
            assertTrue(lines.contains("offheap_leaks_total{kind=\"slab\",name=\"s1\",service=\"orders\"} 13.0"));
            assertTrue(lines.contains("offheap_misuse_total{kind=\"slab\",name=\"s1\",service=\"orders\",type=\"leak\"} 13.0"));
            assertTrue(lines.contains("offheap_memory_limit_bytes{kind=\"region\",name=\"r1\",service=\"orders\"} 8388608.0"));
            assertTrue(lines.contains("offheap_size_class_blocks_live{kind=\"slab\",name=\"s1\",service=\"orders\",size_class=\"64\"} 22.0"));
        }
    }

    @Test
    void theGrafanaDashboardQueriesOnlyNamesTheBinderProduces() throws IOException {
        Path dashboard = Path.of("..", "examples", "grafana", "offheap-dashboard.json");
        String json = Files.readString(dashboard);
        Set<String> produced = Arrays.stream(OffHeapMeters.values()).map(PrometheusScrapeTest::prometheusName)
                .collect(Collectors.toSet());
        Set<String> queried = Pattern.compile("offheap_[a-z_]+").matcher(json).results().map(MatchResult::group)
                .collect(Collectors.toSet());
        assertTrue(produced.containsAll(queried), "unknown names: " + queried.stream()
                .filter(name -> !produced.contains(name)).toList());
        for (String panel : List.of("offheap_memory_reserved_bytes", "offheap_memory_committed_bytes",
                "offheap_memory_used_bytes", "offheap_allocations_total", "offheap_frees_total",
                "offheap_allocations_failed_total", "offheap_misuse_total", "offheap_memory_limit_bytes",
                "offheap_fragmentation_bytes", "offheap_fragmentation_ratio")) {
            assertTrue(queried.contains(panel), "no panel shows " + panel);
        }
        assertTrue(json.contains("\"name\": \"name\""), "templated name variable");
        assertTrue(json.contains("name=~\\\"$name\\\""), "queries filter on $name");
    }

    private static long count(List<String> lines, String prefix) {
        return lines.stream().filter(line -> line.startsWith(prefix)).count();
    }
}
