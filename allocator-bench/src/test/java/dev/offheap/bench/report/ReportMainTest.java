package dev.offheap.bench.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.offheap.bench.harness.HarnessReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The report generator on fixtures made by a real smoke run ({@code run-benchmarks.sh smoke}, i.e.
 * {@code SuiteMain smoke}): {@code jmh-smoke.json} (FixedSize library / libraryHandleOnly / malloc
 * / mallocHandleOnly / libraryBump / slicingAllocator / heap at 64 B and 1 KiB, FixedSizeTail
 * malloc / libraryBump, CrossThread library / malloc / nettyPooled), {@code jmh-smoke-scaling.json}
 * (FixedSize library / malloc at 64 B on 2 threads), the RSS scenario's rows
 * ({@code rss-smoke.json}) and series ({@code rss-timeline.json}), and each harness's
 * {@code harness-*.json}. Expected values are recomputed here from the JSON itself, independently
 * of {@link JmhJson} and the report's code.
 */
@Timeout(120)
class ReportMainTest {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};
    private static final List<String> HARNESS = List.of("cold-start", "footprint", "gc-pauses", "growth",
            "virtual-threads");

    @TempDir
    static Path out;
    @TempDir
    static Path bareOut;
    static Path fixture;
    static Path scaling;
    static Path rss;
    static String report;
    /** A report of the JMH fixture alone: no harness, no RSS. */
    static String bare;

    @BeforeAll
    static void writeReport() throws IOException, URISyntaxException {
        fixture = resource("/report/jmh-smoke.json");
        scaling = resource("/report/jmh-smoke-scaling.json");
        rss = resource("/report/rss-smoke.json");
        List<Path> harness = new ArrayList<>();
        for (String h : HARNESS) {
            harness.add(resource("/report/" + HarnessReport.FILE_PREFIX + h + ".json"));
        }
        // As SuiteMain writes it when a selected benchmark produced no result.
        Files.writeString(out.resolve(ReportMain.FAILED_FILE), "dev.offheap.bench.FixedSizeBenchmark.unsafe\n");
        Path written = ReportMain.write(List.of(fixture, scaling), rss, harness, out, "smoke", null);
        assertEquals(out.resolve("REPORT.md"), written);
        report = Files.readString(written);
        bare = Files.readString(ReportMain.write(List.of(fixture), null, List.of(), bareOut, "smoke", null));
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(Objects.requireNonNull(ReportMainTest.class.getResource(name), name).toURI());
    }

    /** The JMH rows of one benchmark, read straight from a fixture. */
    private static List<JsonObject> jmh(Path file, String benchmark) throws IOException {
        List<JsonObject> rows = new ArrayList<>();
        for (JsonElement e : JsonParser.parseString(Files.readString(file)).getAsJsonArray()) {
            if (e.getAsJsonObject().get("benchmark").getAsString().endsWith(benchmark)) {
                rows.add(e.getAsJsonObject());
            }
        }
        return rows;
    }

    /** The primary score of one benchmark with one {@code size}, read straight from a fixture. */
    private static double score(Path file, String benchmark, String size) throws IOException {
        for (JsonObject o : jmh(file, benchmark)) {
            if (o.getAsJsonObject("params").get("size").getAsString().equals(size)) {
                return o.getAsJsonObject("primaryMetric").get("score").getAsDouble();
            }
        }
        throw new AssertionError("not in fixture: " + benchmark + " size=" + size);
    }

    private static double score(String benchmark, String size) throws IOException {
        return score(fixture, benchmark, size);
    }

    /** The {@code freed} counter of a cross-thread group, read straight from the fixture. */
    private static double freed(String group) throws IOException {
        return jmh(fixture, "CrossThreadBenchmark." + group).get(0).getAsJsonObject("secondaryMetrics")
                .getAsJsonObject("freed").get("score").getAsDouble();
    }

    /** One figure of a harness fixture, read straight from its JSON. */
    private static double figure(String harness, String peer, String metric) throws IOException, URISyntaxException {
        JsonObject root = JsonParser.parseString(Files.readString(
                resource("/report/" + HarnessReport.FILE_PREFIX + harness + ".json"))).getAsJsonObject();
        for (JsonElement e : root.getAsJsonArray("figures")) {
            JsonObject f = e.getAsJsonObject();
            if (f.get("peer").getAsString().equals(peer) && f.get("metric").getAsString().equals(metric)) {
                return f.get("value").getAsDouble();
            }
        }
        throw new AssertionError("no figure " + peer + " " + metric + " in " + harness);
    }

    /** The table under {@code heading} in {@code text}. */
    private static String table(String text, String heading) {
        int start = text.indexOf("### " + heading + "\n");
        assertTrue(start >= 0, "no table: " + heading);
        int end = text.indexOf("\n### ", start + 1);
        return text.substring(start, end < 0 ? text.length() : end);
    }

    /** The line of {@code variant} in the table under {@code heading}. */
    private static String row(String heading, String variant) {
        return table(report, heading).lines()
                .filter(l -> l.startsWith("| " + variant + " |") || l.startsWith("| **" + variant + "** |"))
                .findFirst().orElseThrow(() -> new AssertionError("no row " + variant + " in " + heading));
    }

    private static String[] cells(String row) {
        return Arrays.stream(row.split("\\|")).map(String::trim).skip(1).toArray(String[]::new);
    }

    /** The index, in {@link #cells}, of the column headed {@code header} in the table under {@code heading}. */
    private static int column(String heading, String header) {
        String head = table(report, heading).lines().filter(l -> l.startsWith("| variant |")).findFirst().orElseThrow();
        int i = Arrays.asList(cells(head)).indexOf(header);
        assertTrue(i >= 0, "no column " + header + " in " + head);
        return i;
    }

    /** The target table's line whose target cell starts with {@code target}. */
    private static String target(String text, String target) {
        return text.lines().filter(l -> l.startsWith("| ") && cells(l).length == 4 && cells(l)[1].startsWith(target))
                .findFirst().orElseThrow(() -> new AssertionError("no target row: " + target));
    }

    @Test
    void readsEveryRowOfTheFixture() throws IOException {
        List<BenchmarkResult> rows = JmhJson.read(fixture);
        assertEquals(21, rows.size()); // 7 variants x 2 sizes, 2 x 2 sample, 3 cross-thread
        assertEquals(3, rows.stream().filter(r -> r.workload().equals("CrossThreadBenchmark")).count());
        assertTrue(rows.stream().filter(r -> r.mode().equals("sample"))
                .allMatch(r -> r.percentiles().containsKey("99.9")));
    }

    @Test
    void fixedSizeTableHasEveryVariantWithTheLibraryFirst() {
        String heading = "FixedSizeBenchmark (avgt, size=64)";
        String firstRow = table(report, heading).lines().skip(4).findFirst().orElseThrow();
        assertTrue(firstRow.startsWith("| **library"), firstRow);
        for (String variant : List.of("library:offheap", "libraryHandleOnly:offheap", "libraryBump", "malloc",
                "mallocHandleOnly", "slicingAllocator", "heap")) {
            row(heading, variant);
        }
    }

    @Test
    void ratiosAreLibraryOverPeerFromTheSameRun() throws IOException {
        for (String size : List.of("64", "1024")) {
            String heading = "FixedSizeBenchmark (avgt, size=" + size + ")";
            int bumpColumn = column(heading, "libraryBump ÷ row");
            double bump = score("FixedSizeBenchmark.libraryBump", size);
            for (String peer : List.of("malloc", "slicingAllocator", "heap")) {
                String[] cells = cells(row(heading, peer));
                assertEquals(ReportMain.format(score("FixedSizeBenchmark." + peer, size)), cells[1]);
                assertEquals(ReportMain.format(bump / score("FixedSizeBenchmark." + peer, size)), cells[bumpColumn],
                        peer + " size=" + size);
            }
            assertEquals("1", cells(row(heading, "libraryBump"))[bumpColumn]);
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
        String[] cells = cells(row("CrossThreadBenchmark (thrpt, 2 threads, sizes=64)", "malloc"));
        assertEquals(ReportMain.format(freed("malloc")), cells[1]);
        assertEquals("ops/us", cells[3]);
    }

    @Test
    void sampleTablesShowPercentiles() {
        String[] cells = cells(row("FixedSizeTailBenchmark (sample, size=64)", "malloc"));
        assertEquals(9, cells.length, String.join(",", cells)); // 5 columns, p50 p99 p99.9, 1 ratio
        double p50 = Double.parseDouble(cells[5]);
        double p999 = Double.parseDouble(cells[7]);
        assertTrue(p50 > 0 && p999 >= p50, "percentiles in order: " + p50 + " " + p999);
    }

    /** {@code -prof gc}'s bytes per operation of one benchmark at 64 B, read straight from the fixture. */
    private static double garbage(String benchmark) throws IOException {
        for (JsonObject o : jmh(fixture, benchmark)) {
            if (o.getAsJsonObject("params").get("size").getAsString().equals("64")) {
                return o.getAsJsonObject("secondaryMetrics").getAsJsonObject("gc.alloc.rate.norm").get("score")
                        .getAsDouble();
            }
        }
        throw new AssertionError("not in fixture: " + benchmark);
    }

    @Test
    void handleOnlyAndValidatedPathTargetsAreRatiosOfTheirOwnPeers() throws IOException {
        double handleOnly = score("FixedSizeBenchmark.libraryHandleOnly", "64")
                / score("FixedSizeBenchmark.mallocHandleOnly", "64");
        String[] row = cells(target(report, "`OffHeap` 64 B allocate + free, handle only"));
        assertTrue(row[2].startsWith(ReportMain.format(handleOnly) + "× ("), row[2]);
        boolean handleOnlyMet = handleOnly <= 0.35 && garbage("FixedSizeBenchmark.libraryHandleOnly") < 0.5;
        assertEquals(handleOnlyMet ? "met" : "**missed**", row[3]);

        double validated = score("FixedSizeBenchmark.library", "64") / score("FixedSizeBenchmark.malloc", "64");
        String[] written = cells(target(report, "64 B allocate + write first and last byte"));
        assertTrue(written[2].startsWith(ReportMain.format(validated) + "× ("), written[2]);
        boolean validatedMet = validated <= 0.6 && garbage("FixedSizeBenchmark.library") < 0.5;
        assertEquals(validatedMet ? "met" : "**missed**", written[3]);
    }

    @Test
    void bumpTargetIsMetOrMissedByItsRatio() throws IOException {
        double ratio = score("FixedSizeBenchmark.libraryBump", "64") / score("FixedSizeBenchmark.slicingAllocator", "64");
        String[] row = cells(target(report, "bump allocate 64 B"));
        assertTrue(row[2].startsWith(ReportMain.format(ratio) + "×"), row[2]);
        assertEquals(ratio <= 1.0 ? "met" : "**missed**", row[3]);
    }

    @Test
    void crossThreadTargetIsMeasuredAtTwoThreads() throws IOException {
        // The old check only matched single-thread rows and so always read "not measured" here.
        double ratio = freed("library") / freed("nettyPooled");
        String[] row = cells(target(report, "allocate on one thread, free on another (64 B) ≥ 1.5× Netty pooled"));
        assertTrue(row[2].startsWith(ReportMain.format(ratio) + "× throughput"), row[2]);
        assertEquals(ratio >= 1.5 ? "met" : "**missed**", row[3]);
    }

    @Test
    void harnessTargetsComeFromTheirFiguresAndSayWhenNotRunOrNotExposed() throws Exception {
        double vt = figure("virtual-threads", "library:offheap", "tasks.virtual/platform");
        String[] row = cells(target(report, "100 000 short virtual-thread tasks"));
        assertTrue(row[2].startsWith(ReportMain.format(vt) + "×"), row[2]);
        assertEquals(vt <= 3 ? "met" : "**missed**", row[3]);

        double refusals = figure("virtual-threads", "library:offheap", "live.refusals");
        assertEquals(refusals == 0 ? "met" : "**missed**", cells(target(report, "10 000 live virtual threads: no refusal"))[3]);

        double first = figure("cold-start", "library:offheap", "first.allocate.median.ms");
        String[] cold = cells(target(report, "first `allocate` after `build()`"));
        assertTrue(cold[2].startsWith(ReportMain.format(first) + " ms"), cold[2]);

        // The fixture's build has no commit-on-caller counter: LibraryHooks wrote -1.
        assertEquals(-1, figure("growth", "library:offheap", "growth.commits.on.caller"));
        assertEquals(Targets.NOT_EXPOSED, cells(target(report, "growth: commits on the caller's thread"))[3]);
        assertEquals("not run (no `harness-growth.json`)", cells(target(bare, "growth: commits on the caller's thread"))[3]);
        assertEquals("not run (no `rss.json`)", cells(target(bare, "churn, idle, then `trim()`"))[3]);
    }

    @Test
    void footprintTargetIsHeapOverLiveInPercent() throws Exception {
        double x = figure("footprint", "library:offheap", "size.64.heap/live");
        String[] row = cells(target(report, "Java heap held by the allocator ÷ live bytes ≤ 1 %, 64 B blocks"));
        assertTrue(row[2].startsWith(ReportMain.format(100 * x) + " %"), row[2]);
        assertEquals(x <= 0.01 ? "met" : "**missed**", row[3]);
    }

    @Test
    void rssTargetsReadIdleAndTrimFigures() throws IOException {
        JsonObject lib = JsonParser.parseString(Files.readString(rss)).getAsJsonArray().get(0).getAsJsonObject();
        assertEquals("library:offheap", lib.get("peer").getAsString());
        double live = lib.get("liveBytes").getAsDouble();
        double idle = (lib.get("rssAfterIdle").getAsDouble() - lib.get("rssBefore").getAsDouble()) / live;
        double trim = (lib.get("rssAfterTrim").getAsDouble() - lib.get("rssBefore").getAsDouble()) / live;
        String[] idleRow = cells(target(report, "churn then idle past the default decay"));
        assertTrue(idleRow[2].startsWith(ReportMain.format(idle) + "×"), idleRow[2]);
        assertTrue(idleRow[2].contains("malloc "), "peers measured beside it: " + idleRow[2]);
        String[] trimRow = cells(target(report, "churn, idle, then `trim()`"));
        assertTrue(trimRow[2].startsWith(ReportMain.format(trim) + "×"), trimRow[2]);
        assertEquals(trim <= 1.15 ? "met" : "**missed**", trimRow[3]);
    }

    @Test
    void failedBenchmarksAreListed() {
        assertTrue(report.contains("**Failed or unavailable in this run** (no figure; `run.log` has JMH's reason): "
                + "`FixedSizeBenchmark.unsafe`"), report);
    }

    @Test
    void rssTableHasEveryPeerOfTheScenario() {
        for (String peer : List.of("library:offheap", "control", "malloc", "jemalloc", "nettyPooled")) {
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
        List<String> phases = List.of("fill", "churn", "free-most", "idle", "trim");
        for (String peer : List.of("library:offheap", "nettyPooled", "malloc", "jemalloc", "control")) {
            JsonObject series = timeline(peer);
            List<String> names = series.getAsJsonArray("phases").asList().stream()
                    .map(p -> p.getAsJsonObject().get("name").getAsString()).toList();
            assertEquals(phases, names, peer);
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
            for (int k = 0; k < phases.size(); k++) {
                assertEquals(ReportMain.format(starts[k] / 1000.0), cells[1 + k], peer + " phase " + k);
            }
            assertEquals(ReportMain.format(idleStartMib), cells[7], peer + " MiB at idle start");
            assertEquals(ReportMain.format(mib.get(mib.size() - 1).getAsDouble()), cells[8], peer + " MiB at end");
        }
    }

    @Test
    void threadScalingTableShowsAggregateThroughputPerThreadCount() throws IOException {
        String heading = "Scaling: FixedSizeBenchmark (avgt, size=64)";
        String[] malloc = cells(table(report, heading).lines().filter(l -> l.startsWith("| malloc |")).findFirst()
                .orElseThrow());
        assertEquals(ReportMain.format(1000 / score("FixedSizeBenchmark.malloc", "64")), malloc[1]);
        assertEquals(ReportMain.format(2 * 1000 / score(scaling, "FixedSizeBenchmark.malloc", "64")), malloc[2]);
        assertFalse(table(report, heading).contains("| slicingAllocator |"), "only variants run at several counts");
    }

    @Test
    void harnessTableHasEveryPeersFigure() throws Exception {
        String gc = table(report, "gc-pauses");
        String line = gc.lines().filter(l -> l.startsWith("| replace.pause.total.ms |")).findFirst().orElseThrow();
        String[] cells = cells(line);
        assertEquals(ReportMain.format(figure("gc-pauses", "library:offheap", "replace.pause.total.ms")), cells[2]);
        assertEquals(ReportMain.format(figure("gc-pauses", "heap", "replace.pause.total.ms")), cells[3]);
    }

    @Test
    void footprintTableHasOneRowPerBlockSize() throws Exception {
        String footprint = table(report, "footprint");
        String head = footprint.lines().filter(l -> l.startsWith("| peer, block size |")).findFirst().orElseThrow();
        int heapColumn = Arrays.asList(cells(head)).indexOf("heap/live");
        assertTrue(heapColumn > 0, head);
        for (String size : List.of("16", "64", "1024", "16384", "262144")) {
            String[] cells = cells(footprint.lines().filter(l -> l.startsWith("| library:offheap, " + size + " B |"))
                    .findFirst().orElseThrow(() -> new AssertionError("no row for " + size + " B")));
            double x = figure("footprint", "library:offheap", "size." + size + ".heap/live");
            assertEquals(ReportMain.format(100 * x) + " %", cells[heapColumn], size + " B");
        }
    }

    @Test
    void chartsKeepTheLibraryAndAtMostSixSeries() {
        List<String> picked = Charts.pick(List.of("heap", "unsafe", "library:offheap", "directByteBuffer",
                "nettyAdaptive", "malloc", "arenaPerBlock", "jemalloc", "nettyPooled", "libraryHandleOnly:offheap"));
        assertEquals(List.of("library:offheap", "libraryHandleOnly:offheap", "malloc", "jemalloc", "nettyPooled", "heap"),
                picked);
    }

    @Test
    void percentileAxisLabelsReadAsPercentiles() {
        assertEquals("0%", Charts.percentileLabel(1));
        assertEquals("90%", Charts.percentileLabel(10));
        assertEquals("99.9%", Charts.percentileLabel(1000));
    }

    @Test
    void chartsAreWrittenAsPng() throws IOException {
        for (String name : List.of("FixedSizeBenchmark-avgt-t1.png", "FixedSizeBenchmark-avgt-t1-bump.png",
                "FixedSizeTailBenchmark-sample-size=64.png", "FixedSizeTailBenchmark-sample-size=1024.png",
                "harness-growth-percentiles.png", "harness-gc-pauses-gc.pause.ms.png",
                "harness-gc-pauses-heap.used.mib.png", "scaling-FixedSizeBenchmark-avgt-size=64.png")) {
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
