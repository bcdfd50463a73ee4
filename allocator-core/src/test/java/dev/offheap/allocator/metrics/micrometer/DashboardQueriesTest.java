package dev.offheap.allocator.metrics.micrometer;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.region.Region;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every query of {@code examples/grafana/offheap-dashboard.json} against a real Prometheus scrape of
 * a registry bound to an {@link OffHeap}, and to a region with a bump arena carved from it (the
 * layout of {@code MetricsDemo}): each metric and label it names exists, the totals count each
 * committed byte once, and the occupancy panel leaves out the empty size classes the scrape has.
 */
@Timeout(60)
class DashboardQueriesTest {
    private static final Path DASHBOARD = Path.of("..", "examples", "grafana", "offheap-dashboard.json");
    /** Labels Prometheus adds at scrape time, so they are not in the exposition text. */
    private static final Set<String> TARGET_LABELS = Set.of("job", "instance");
    private static final Pattern EXPR = Pattern.compile("\"expr\":\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern METRIC = Pattern.compile("offheap_[a-z_]+");
    private static final Pattern SELECTOR = Pattern.compile("(offheap_[a-z_]+)\\{([^}]*)}");
    private static final Pattern MATCHER = Pattern.compile("([a-z_]+)(=~|!~|!=|=)\"([^\"]*)\"");
    private static final Pattern BY = Pattern.compile("by \\(([^)]*)\\)");
    private static final Pattern SAMPLE = Pattern.compile("^(offheap_[a-z_]+)\\{([^}]*)} (\\S+)$");

    private static List<String> queries;
    /** One scrape: per metric name, the label sets and values of its samples. */
    private static final Map<String, List<Sample>> SCRAPE = new HashMap<>();
    private static long trueCommittedBytes;

    private record Sample(Map<String, String> labels, double value) {
    }

    @BeforeAll
    static void scrapeARegistryBoundToAnOffHeap() throws IOException {
        String json = Files.readString(DASHBOARD);
        queries = new ArrayList<>();
        Matcher m = EXPR.matcher(json);
        while (m.find()) {
            queries.add(m.group(1).replace("\\\"", "\"").replace("\\\\", "\\"));
        }
        assertTrue(queries.size() >= 15, "the dashboard's queries were found: " + queries.size());

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (OffHeap memory = OffHeap.builder().name("cache").reserve(1L << 30).limit(256L << 20).build();
             Region region = Region.builder().name("demo-region").reserve(1L << 30).build();
             BumpArena arena = BumpArena.builder().name("demo-bump").region(region).build()) {
            // No snapshot caching: the loop below needs every scrape to read the allocators afresh,
            // or a scrape repeated within the time to live shows figures from before the loop.
            new OffHeapMetrics(memory, Tags.empty(), Duration.ZERO).bindTo(registry);
            new OffHeapMetrics(region, Tags.empty(), Duration.ZERO).bindTo(registry);
            new OffHeapMetrics(arena, Tags.empty(), Duration.ZERO).bindTo(registry);
            for (long size : new long[] {16, 64, 4096, 100_000, 3 << 20}) {
                memory.allocate(size);
            }
            long freed = memory.allocate(64);
            memory.free(freed);
            try {
                memory.free(freed);
            } catch (DoubleFreeException expected) {
                // counted as misuse
            }
            for (int i = 0; i < 1000; i++) {
                arena.allocate(64, 8);
            }
            // The façade's region commits ahead in the background (committed only grows here: decay
            // is 10 s away): a scrape between two equal reads saw that same figure.
            String scrape;
            long before;
            long deadline = System.nanoTime() + 10_000_000_000L;
            do {
                before = memory.region().committedBytes() + region.committedBytes();
                scrape = registry.scrape();
                trueCommittedBytes = memory.region().committedBytes() + region.committedBytes();
            } while (trueCommittedBytes != before && System.nanoTime() < deadline);
            for (String line : scrape.lines().toList()) {
                Matcher sample = SAMPLE.matcher(line);
                if (sample.matches()) {
                    SCRAPE.computeIfAbsent(sample.group(1), k -> new ArrayList<>())
                            .add(new Sample(labels(sample.group(2)), Double.parseDouble(sample.group(3))));
                }
            }
        }
    }

    private static Map<String, String> labels(String text) {
        Map<String, String> labels = new HashMap<>();
        Matcher m = MATCHER.matcher(text);
        while (m.find()) {
            labels.put(m.group(1), m.group(3));
        }
        return labels;
    }

    @Test
    void everyMetricAQueryNamesIsInTheScrape() {
        Set<String> missing = new HashSet<>();
        for (String query : queries) {
            Matcher m = METRIC.matcher(query);
            while (m.find()) {
                if (!SCRAPE.containsKey(m.group())) {
                    missing.add(m.group());
                }
            }
        }
        assertEquals(Set.of(), missing, "queried but not scraped");
    }

    @Test
    void everyLabelAQueryMatchesOrGroupsByIsOnItsMetric() {
        for (String query : queries) {
            Matcher selector = SELECTOR.matcher(query);
            while (selector.find()) {
                Set<String> scraped = SCRAPE.get(selector.group(1)).getFirst().labels().keySet();
                Matcher matcher = MATCHER.matcher(selector.group(2));
                while (matcher.find()) {
                    String label = matcher.group(1);
                    assertTrue(TARGET_LABELS.contains(label) || scraped.contains(label),
                            label + " on " + selector.group(1) + " in " + query);
                }
            }
            Matcher by = BY.matcher(query);
            while (by.find()) {
                for (String label : by.group(1).split(",\\s*")) {
                    assertTrue(SCRAPE.values().stream().anyMatch(samples -> samples.getFirst().labels().containsKey(label)),
                            "by " + label + " in " + query);
                }
            }
        }
    }

    @Test
    void everyQueryFiltersOnJobAndInstanceVariables() throws IOException {
        String json = Files.readString(DASHBOARD);
        assertTrue(json.contains("\"name\": \"job\""), "job variable");
        assertTrue(json.contains("\"name\": \"instance\""), "instance variable");
        for (String query : queries) {
            Matcher selector = SELECTOR.matcher(query);
            assertTrue(selector.find(), query);
            do {
                String matchers = selector.group(2);
                assertTrue(matchers.contains("job=~\"$job\"") && matchers.contains("instance=~\"$instance\"")
                        && matchers.contains("name=~\"$name\""), query);
            } while (selector.find());
        }
    }

    @Test
    void theCommittedTotalCountsEachByteOnceWhereSummingEveryKindWouldNot() {
        String total = queries.stream().filter(q -> q.startsWith("sum(offheap_memory_committed_bytes{")).findFirst().orElseThrow();
        Matcher kind = Pattern.compile("kind=~\"([^\"]*)\"").matcher(total);
        assertTrue(kind.find(), "the total keeps to the layer that owns memory: " + total);
        Pattern owners = Pattern.compile(kind.group(1));
        double dashboardSum = 0;
        double naiveSum = 0;
        for (Sample s : SCRAPE.get("offheap_memory_committed_bytes")) {
            naiveSum += s.value();
            if (owners.matcher(s.labels().get("kind")).matches()) {
                dashboardSum += s.value();
            }
        }
        assertTrue(trueCommittedBytes > 0);
        assertEquals(trueCommittedBytes, dashboardSum, "the stat panel's sum");
        // Positive control: the bump arena reports its region's bytes again, so a plain sum is too high.
        assertTrue(naiveSum > trueCommittedBytes, "naive=" + naiveSum + ", true=" + trueCommittedBytes);
    }

    @Test
    void theOccupancyPanelLeavesOutTheEmptySizeClassesTheScrapeHas() {
        List<Sample> capacity = SCRAPE.get("offheap_size_class_blocks_capacity");
        // Positive control: empty classes exist, so live / capacity would be 0/0 = NaN for them.
        assertTrue(capacity.stream().anyMatch(s -> s.value() == 0), "an empty size class in the scrape");
        assertTrue(capacity.stream().anyMatch(s -> s.value() > 0), "a used size class in the scrape");
        String occupancy = queries.stream().filter(q -> q.startsWith("offheap_size_class_blocks_live")).findFirst().orElseThrow();
        assertTrue(occupancy.matches(".*/ \\(offheap_size_class_blocks_capacity\\{[^}]*} > 0\\)$"), occupancy);
        assertFalse(queries.stream().anyMatch(q -> q.contains("offheap_leaks_total + ")), "no vector sums of misuse");
    }
}
