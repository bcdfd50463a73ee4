package dev.offheap.bench.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The report generator on a fixture made by a real smoke run ({@code run-benchmarks.sh smoke}:
 * FixedSize malloc / libraryBump / slicingAllocator / heap at 64 B and 1 KiB, their SampleTime
 * variants, CrossThread malloc / nettyPooled) and a real {@code RssAfterChurnMain} run
 * ({@code --live-mib 16 --idle-ms 2000}: its rows in {@code rss-smoke.json}, its resident-memory
 * series beside them in {@code rss-timeline.json}). Expected
 * values are recomputed here from the JSON itself, independently of {@link JmhJson}.
 */
class ReportMainTest {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};

    @TempDir
    static Path out;
    static Path fixture;
    static Path rss;
    static String report;

    @BeforeAll
    static void writeReport() throws IOException, URISyntaxException {
        fixture = resource("/report/jmh-smoke.json");
        rss = resource("/report/rss-smoke.json");
        // As SuiteMain writes it when a selected benchmark produced no result.
        Files.writeString(out.resolve(ReportMain.FAILED_FILE), "dev.offheap.bench.FixedSizeBenchmark.unsafe\n");
        Path written = ReportMain.write(List.of(fixture), rss, out, "smoke");
        assertEquals(out.resolve("REPORT.md"), written);
        report = Files.readString(written);
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(Objects.requireNonNull(ReportMainTest.class.getResource(name), name).toURI());
    }

    /** The primary score of one benchmark with one {@code size}, read straight from the fixture. */
    private static double score(String benchmark, String size) throws IOException {
        for (JsonElement e : JsonParser.parseString(Files.readString(fixture)).getAsJsonArray()) {
            JsonObject o = e.getAsJsonObject();
            if (o.get("benchmark").getAsString().endsWith(benchmark)
                    && o.getAsJsonObject("params").get("size").getAsString().equals(size)) {
                return o.getAsJsonObject("primaryMetric").get("score").getAsDouble();
            }
        }
        throw new AssertionError("not in fixture: " + benchmark + " size=" + size);
    }

    /** The line of {@code variant} in the table under {@code heading}. */
    private static String row(String heading, String variant) {
        int start = report.indexOf("### " + heading + "\n");
        assertTrue(start >= 0, "no table: " + heading);
        int end = report.indexOf("\n### ", start + 1);
        String table = report.substring(start, end < 0 ? report.length() : end);
        return table.lines().filter(l -> l.startsWith("| " + variant + " |") || l.startsWith("| **" + variant + "** |"))
                .findFirst().orElseThrow(() -> new AssertionError("no row " + variant + " in " + heading));
    }

    private static String[] cells(String row) {
        return Arrays.stream(row.split("\\|")).map(String::trim).skip(1).toArray(String[]::new);
    }

    @Test
    void readsEveryRowOfTheFixture() throws IOException {
        List<BenchmarkResult> rows = JmhJson.read(fixture);
        assertEquals(14, rows.size()); // 4 variants x 2 sizes, 2 x 2 sample, 2 cross-thread
        assertEquals(2, rows.stream().filter(r -> r.workload().equals("CrossThreadBenchmark")).count());
        assertTrue(rows.stream().filter(r -> r.mode().equals("sample"))
                .allMatch(r -> r.percentiles().containsKey("99.9")));
    }

    @Test
    void fixedSizeTableHasEveryVariantWithTheLibraryFirst() {
        String heading = "FixedSizeBenchmark (avgt, size=64)";
        int table = report.indexOf("### " + heading);
        String firstRow = report.substring(table).lines().skip(4).findFirst().orElseThrow();
        assertTrue(firstRow.startsWith("| **libraryBump** |"), firstRow);
        for (String variant : List.of("libraryBump", "malloc", "slicingAllocator", "heap")) {
            row(heading, variant);
        }
        assertTrue(report.contains("| variant | score | ± error | unit | B/op | libraryBump ÷ row |"));
    }

    @Test
    void ratiosAreLibraryOverPeerFromTheSameRun() throws IOException {
        for (String size : List.of("64", "1024")) {
            double bump = score("FixedSizeBenchmark.libraryBump", size);
            for (String peer : List.of("malloc", "slicingAllocator", "heap")) {
                String[] cells = cells(row("FixedSizeBenchmark (avgt, size=" + size + ")", peer));
                assertEquals(ReportMain.format(score("FixedSizeBenchmark." + peer, size)), cells[1]);
                assertEquals(ReportMain.format(bump / score("FixedSizeBenchmark." + peer, size)), cells[5],
                        peer + " size=" + size);
            }
            String[] self = cells(row("FixedSizeBenchmark (avgt, size=" + size + ")", "libraryBump"));
            assertEquals("1", self[5]);
        }
    }

    @Test
    void gcColumnShowsHeapGarbageAndNoneForMalloc() {
        String[] heap = cells(row("FixedSizeBenchmark (avgt, size=64)", "heap"));
        String[] malloc = cells(row("FixedSizeBenchmark (avgt, size=64)", "malloc"));
        assertTrue(Double.parseDouble(heap[4]) >= 64, "a 64-byte array is at least 64 B of garbage: " + heap[4]);
        assertTrue(Double.parseDouble(malloc[4]) < 1, "malloc through a long downcall makes no garbage: " + malloc[4]);
    }

    @Test
    void crossThreadScoreIsTheFreedCounter() throws IOException {
        for (JsonElement e : JsonParser.parseString(Files.readString(fixture)).getAsJsonArray()) {
            JsonObject o = e.getAsJsonObject();
            if (o.get("benchmark").getAsString().endsWith("CrossThreadBenchmark.malloc")) {
                double freed = o.getAsJsonObject("secondaryMetrics").getAsJsonObject("freed").get("score")
                        .getAsDouble();
                String[] cells = cells(row("CrossThreadBenchmark (thrpt, 2 threads, sizes=64)", "malloc"));
                assertEquals(ReportMain.format(freed), cells[1]);
                assertEquals("ops/us", cells[3]);
                return;
            }
        }
        throw new AssertionError("no CrossThreadBenchmark.malloc in fixture");
    }

    @Test
    void sampleTablesShowPercentiles() throws IOException {
        String[] cells = cells(row("FixedSizeTailBenchmark (sample, size=64)", "malloc"));
        assertEquals(9, cells.length, String.join(",", cells)); // 5 columns, p50 p99 p99.9, 1 ratio
        double p50 = Double.parseDouble(cells[5]);
        double p999 = Double.parseDouble(cells[7]);
        assertTrue(p50 > 0 && p999 >= p50, "percentiles in order: " + p50 + " " + p999);
    }

    @Test
    void targetsSayWhatIsMeasuredAndWhatIsNot() throws IOException {
        double ratio = score("FixedSizeBenchmark.libraryBump", "64") / score("FixedSizeBenchmark.slicingAllocator", "64");
        assertTrue(report.contains("- bump 64 B ≤ 1.0× slicingAllocator: " + ReportMain.format(ratio) + "× "
                + (ratio <= 1.0 ? "(met)" : "(**missed**)")), report);
        assertTrue(report.contains("- slab 64 B alloc+free ≤ 0.3× malloc, ≤ 0.15× Netty pooled, 0 B/op: not measured"));
    }

    @Test
    void failedBenchmarksAreListed() {
        assertTrue(report.contains("**Failed or unavailable in this run** (no figure; `run.log` has JMH's reason): "
                + "`FixedSizeBenchmark.unsafe`"), report);
    }

    @Test
    void rssTableHasEveryPeerOfTheScenario() {
        for (String peer : List.of("control", "malloc", "jemalloc", "nettyPooled", "heap")) {
            assertTrue(report.lines().anyMatch(l -> l.startsWith("| " + peer + " | ")), peer);
        }
    }

    /** The series of one peer in the timeline fixture. */
    private static JsonObject timeline(String peer) throws IOException, URISyntaxException {
        Path file = resource("/report/rss-timeline.json");
        for (JsonElement e : JsonParser.parseString(Files.readString(file)).getAsJsonArray()) {
            if (e.getAsJsonObject().get("peer").getAsString().equals(peer)) {
                return e.getAsJsonObject();
            }
        }
        throw new AssertionError("no series for " + peer + " in " + file);
    }

    @Test
    void rssOverTimeChartIsDrawnAndLinked() throws IOException {
        Path chart = out.resolve(ReportMain.RSS_OVER_TIME_PNG);
        assertTrue(Files.size(chart) > 1000);
        try (InputStream in = Files.newInputStream(chart)) {
            assertArrayEquals(PNG_MAGIC, in.readNBytes(4));
        }
        assertTrue(report.contains("](" + ReportMain.RSS_OVER_TIME_PNG + ")"), "report links the chart");
    }

    @Test
    void rssOverTimeTableHasEveryPeerWithPhasesInOrderAndItsLastSample()
            throws IOException, URISyntaxException {
        String heading = "Resident memory over time (RssAfterChurnMain, one JVM per peer)";
        for (String peer : List.of("library:offheap", "nettyPooled", "malloc", "jemalloc", "control")) {
            JsonObject series = timeline(peer);
            List<String> names = series.getAsJsonArray("phases").asList().stream()
                    .map(p -> p.getAsJsonObject().get("name").getAsString()).toList();
            assertEquals(List.of("fill", "churn", "free-most", "idle"), names, peer);
            long[] starts = series.getAsJsonArray("phases").asList().stream()
                    .mapToLong(p -> p.getAsJsonObject().get("startMillis").getAsLong()).toArray();
            var millis = series.getAsJsonArray("millis").asList();
            var mib = series.getAsJsonArray("rssMib").asList();
            assertEquals(millis.size(), mib.size(), peer);
            double idleStartMib = Double.NaN;
            for (int i = 0; i < millis.size(); i++) {
                if (millis.get(i).getAsLong() >= starts[3]) {
                    idleStartMib = mib.get(i).getAsDouble();
                    break;
                }
            }
            String[] cells = cells(row(heading, peer));
            for (int k = 0; k < 4; k++) {
                assertEquals(ReportMain.format(starts[k] / 1000.0), cells[1 + k], peer + " phase " + k);
            }
            assertEquals(ReportMain.format(idleStartMib), cells[6], peer + " MiB at idle start");
            assertEquals(ReportMain.format(mib.get(mib.size() - 1).getAsDouble()), cells[7], peer + " MiB at end");
        }
    }

    @Test
    void chartsAreWrittenAsPng() throws IOException {
        for (String name : List.of("FixedSizeBenchmark-avgt-t1.png", "FixedSizeTailBenchmark-sample-size=64.png",
                "FixedSizeTailBenchmark-sample-size=1024.png")) {
            Path chart = out.resolve(name);
            assertTrue(Files.size(chart) > 1000, name);
            try (InputStream in = Files.newInputStream(chart)) {
                assertArrayEquals(PNG_MAGIC, in.readNBytes(4), name);
            }
            assertTrue(report.contains("](" + name + ")"), "report links " + name);
        }
        assertFalse(Files.exists(out.resolve("CrossThreadBenchmark-thrpt-t2.png")), "no size chart without sizes");
    }
}
