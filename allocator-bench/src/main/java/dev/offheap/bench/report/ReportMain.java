package dev.offheap.bench.report;

import com.google.gson.Gson;
import dev.offheap.bench.harness.HarnessReport;
import dev.offheap.bench.rss.RssAfterChurnMain;
import dev.offheap.bench.rss.RssTimeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Writes {@code REPORT.md} and the charts from a JMH JSON result (and, when present, the
 * fragmentation scenario's {@code rss.json}): one Markdown table per workload and parameter set
 * with score ± error, {@code -prof gc} bytes per operation and the ratio of each of this library's
 * variants to each row; the targets of DESIGN.md checked against the figures; the charts as PNG.
 *
 * <p>Usage: {@code ReportMain --jmh FILE [--jmh FILE ...] [--rss FILE] [--harness FILE ...] [--out DIR]
 * [--mode quick|full] [--note TEXT]} (the note is printed under the header: where and how the
 * figures were taken; harness files are the {@code harness-*.json} the suite's harnesses write).
 * Single-threaded.
 */
public final class ReportMain {
    /** The file, in the output directory, where {@code SuiteMain} lists benchmarks that failed. */
    public static final String FAILED_FILE = "failed.txt";

    private ReportMain() {
    }

    public static void main(String[] args) throws IOException {
        List<Path> jmh = new ArrayList<>();
        Path rss = null;
        List<Path> harness = new ArrayList<>();
        Path out = Path.of("docs/bench");
        String mode = "quick";
        String note = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--jmh" -> jmh.add(Path.of(args[++i]));
                case "--rss" -> rss = Path.of(args[++i]);
                case "--harness" -> harness.add(Path.of(args[++i]));
                case "--out" -> out = Path.of(args[++i]);
                case "--mode" -> mode = args[++i];
                case "--note" -> note = args[++i];
                default -> throw new IllegalArgumentException("unknown argument: arg=" + args[i]);
            }
        }
        if (jmh.isEmpty()) {
            throw new IllegalArgumentException("missing argument: --jmh FILE");
        }
        Path report = write(jmh, rss, harness, out, mode, note);
        System.out.println("wrote " + report.toAbsolutePath());
    }

    /**
     * Writes the report and its charts.
     *
     * @param jmh  JMH's JSON results, read in order into one set of rows
     * @param rss  the fragmentation scenario's rows, or null / a missing file to leave them out
     * @param out  the directory to write into (made if missing)
     * @param mode "quick" or "full", for the header
     * @return the path of {@code REPORT.md}
     * @throws IOException if a file cannot be read or written
     */
    public static Path write(List<Path> jmh, Path rss, Path out, String mode) throws IOException {
        return write(jmh, rss, out, mode, null);
    }

    /**
     * Writes the report and its charts, with a note under the header.
     *
     * @param jmh  JMH's JSON results, read in order into one set of rows
     * @param rss  the fragmentation scenario's rows, or null / a missing file to leave them out
     * @param out  the directory to write into (made if missing)
     * @param mode "quick" or "full", for the header
     * @param note a paragraph on the conditions of the run, or null
     * @return the path of {@code REPORT.md}
     * @throws IOException if a file cannot be read or written
     */
    public static Path write(List<Path> jmh, Path rss, Path out, String mode, String note) throws IOException {
        return write(jmh, rss, List.of(), out, mode, note);
    }

    /**
     * Writes the report and its charts, with the harnesses' results and a note under the header.
     *
     * @param jmh     JMH's JSON results, read in order into one set of rows
     * @param rss     the fragmentation scenario's rows, or null / a missing file to leave them out
     * @param harness the harnesses' {@code harness-*.json} files (missing files are left out)
     * @param out     the directory to write into (made if missing)
     * @param mode    "quick" or "full", for the header
     * @param note    a paragraph on the conditions of the run, or null
     * @return the path of {@code REPORT.md}
     * @throws IOException if a file cannot be read or written
     */
    public static Path write(List<Path> jmh, Path rss, List<Path> harness, Path out, String mode, String note)
            throws IOException {
        Files.createDirectories(out);
        List<HarnessReport> harnessReports = new ArrayList<>();
        for (Path file : harness) {
            if (Files.exists(file)) {
                harnessReports.add(HarnessReport.fromJson(Files.readString(file)));
            }
        }
        List<BenchmarkResult> rows = new ArrayList<>();
        for (Path file : jmh) {
            rows.addAll(JmhJson.read(file));
        }
        List<RssAfterChurnMain.Row> rssRows = rss != null && Files.exists(rss)
                ? List.of(new Gson().fromJson(Files.readString(rss), RssAfterChurnMain.Row[].class))
                : List.of();
        StringBuilder md = new StringBuilder();
        md.append("# Benchmark report (").append(mode).append(" mode)\n\n");
        md.append("- date: ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append('\n');
        md.append("- JDK: ").append(JmhJson.jdkOf(jmh.get(0))).append('\n');
        md.append("- machine: ").append(machine()).append('\n');
        if (note != null) {
            md.append("- note: ").append(note).append('\n');
        }
        md.append("- source: ").append(String.join(", ", jmh.stream().map(p -> "`" + p.getFileName() + "`").toList()))
                .append("\n\n");
        md.append("Variants missing from a table failed or were unavailable in this run (JMH's log says why; ")
                .append("e.g. `Unsafe.allocateMemory` denied, or this library's `HandleAllocator` not in the build). ")
                .append("Figures from a shared or busy machine are noisy: compare ratios within one run, ")
                .append("and re-run in full mode on a quiet machine before quoting them.\n\n");
        md.append("Ratios are this library's variant ÷ the row's variant, taken side by side in one run. For time ")
                .append("(ns/op) below 1 means the library is faster; for throughput (ops/us) above 1 does. ")
                .append("± is JMH's 99.9% confidence half-width (blank with a single iteration). ")
                .append("B/op is `-prof gc`'s `gc.alloc.rate.norm`: Java heap garbage per operation.\n\n");

        Path failed = out.resolve(FAILED_FILE);
        List<String> failures = Files.exists(failed)
                ? Files.readAllLines(failed).stream().filter(l -> !l.isBlank()).toList() : List.of();
        if (!failures.isEmpty()) {
            md.append("**Failed or unavailable in this run** (no figure; `run.log` has JMH's reason): ")
                    .append(String.join(", ", failures.stream().map(f -> "`" + f.replace("dev.offheap.bench.", "")
                            + "`").toList())).append("\n\n");
        }
        Map<String, List<BenchmarkResult>> tables = new LinkedHashMap<>();
        for (BenchmarkResult r : rows) {
            tables.computeIfAbsent(r.tableKey(), k -> new ArrayList<>()).add(r);
        }
        md.append(Targets.section(rows, rssRows, harnessReports)).append('\n');

        md.append("## Charts\n\n");
        md.append("This library's series are the thick warm lines; at most ").append(Charts.MAX_SERIES)
                .append(" series a chart (the tables below have every variant). Error bars are JMH's 99.9 % ")
                .append("confidence interval (meaningful in full mode: 2 forks, 5 iterations).\n\n");
        Map<String, List<BenchmarkResult>> bySizeCharts = new LinkedHashMap<>();
        for (BenchmarkResult r : rows) {
            if (r.params().containsKey("size") && !r.mode().equals("sample")) {
                // Bump-style variants (no free per block) get a chart of their own, beside their peers.
                String group = BUMP_STYLE.contains(r.variant().replaceAll(":.*", "")) ? "-bump" : "";
                bySizeCharts.computeIfAbsent(r.workload() + "-" + r.mode() + "-t" + r.threads() + group,
                        k -> new ArrayList<>()).add(r);
            }
        }
        for (var e : bySizeCharts.entrySet()) {
            String name = e.getKey() + ".png";
            BenchmarkResult first = e.getValue().get(0);
            String title = first.workload() + ": " + first.unit() + " by block size"
                    + (first.threads() > 1 ? " (" + first.threads() + " threads)" : "")
                    + (e.getKey().endsWith("-bump") ? ", bump-style allocators" : "");
            if (Charts.timeBySize(e.getValue(), title, out.resolve(name))) {
                md.append("![").append(title).append("](").append(name).append(")\n\n");
            }
        }
        for (var e : tables.entrySet()) {
            if (!e.getValue().get(0).mode().equals("sample")) {
                continue;
            }
            String name = fileName(e.getKey()) + ".png";
            String title = "latency by percentile: " + e.getKey();
            if (Charts.percentilePlot(distributions(e.getValue()), title, "ns", out.resolve(name))) {
                md.append("![").append(title).append("](").append(name).append(")\n\n");
            }
        }
        md.append(ScalingSection.section(rows, out));
        md.append(HarnessSection.section(harnessReports, out));

        md.append("## Tables\n\n");
        for (var e : tables.entrySet()) {
            md.append(table(e.getKey(), e.getValue()));
        }
        if (!rssRows.isEmpty()) {
            md.append(rssTable(rssRows));
        }
        Path timelineFile = rss == null ? null : rss.resolveSibling(RssAfterChurnMain.TIMELINE_FILE);
        if (timelineFile != null && Files.exists(timelineFile)) {
            List<RssTimeline> timelines = List.of(new Gson().fromJson(Files.readString(timelineFile), RssTimeline[].class));
            md.append(timelineSection(timelines, out));
        }
        Path report = out.resolve("REPORT.md");
        Files.writeString(report, md.toString());
        return report;
    }

    /** Variants that free nothing per block (they rewind or close a window): charted apart. */
    static final List<String> BUMP_STYLE = List.of("libraryBump", "libraryBumpSegment", "slicingAllocator",
            "longLivedArena");

    /** The SampleTime percentiles of each row, as distributions for a percentile plot. */
    static List<Charts.Distribution> distributions(List<BenchmarkResult> rows) {
        List<Charts.Distribution> d = new ArrayList<>();
        for (BenchmarkResult r : rows) {
            java.util.TreeMap<Double, Double> sorted = new java.util.TreeMap<>();
            r.percentiles().forEach((p, v) -> sorted.put(Double.parseDouble(p), v));
            d.add(new Charts.Distribution(r.variant(), new ArrayList<>(sorted.keySet()), new ArrayList<>(sorted.values())));
        }
        return d;
    }

    /** The file name of the resident-memory-over-time chart. */
    static final String RSS_OVER_TIME_PNG = "rss-over-time.png";

    /** The resident-memory-over-time chart (drawn into {@code out}) and a table of when each phase began. */
    static String timelineSection(List<RssTimeline> timelines, Path out) throws IOException {
        StringBuilder md = new StringBuilder("### Resident memory over time (RssAfterChurnMain, one JVM per peer)\n\n");
        if (Charts.rssOverTime(timelines, "Resident memory over time: fill, churn, free 90 %, idle, trim", out.resolve(RSS_OVER_TIME_PNG))) {
            md.append("![resident memory over time](").append(RSS_OVER_TIME_PNG).append(")\n\n");
        }
        md.append("VmRSS sampled every ~100 ms; dashed lines mark the phases of `library:offheap` (first peer with phases). "
                + "Phase starts (s) and resident MiB at the start of idle and at the last sample:\n\n");
        md.append("| peer | fill | churn | free-most | idle | trim | end | MiB at idle start | MiB at end |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (RssTimeline t : timelines) {
            md.append("| ").append(t.peer());
            for (String phase : List.of("fill", "churn", "free-most", "idle", "trim")) {
                md.append(" | ").append(t.phases().stream().filter(p -> p.name().equals(phase)).findFirst()
                        .map(p -> format(p.startMillis() / 1000.0)).orElse("–"));
            }
            long end = t.millis().get(t.millis().size() - 1);
            md.append(" | ").append(format(end / 1000.0))
                    .append(" | ").append(format(t.rssAt(t.phaseStart("idle"))))
                    .append(" | ").append(format(t.rssMib().get(t.rssMib().size() - 1))).append(" |\n");
        }
        return md.append('\n').toString();
    }

    static String fileName(String tableKey) {
        return tableKey.replaceAll("[^A-Za-z0-9=.-]+", "-").replaceAll("-+$", "");
    }

    /** One Markdown table: a row per variant, a ratio column per library variant. */
    static String table(String key, List<BenchmarkResult> rows) {
        List<BenchmarkResult> ordered = new ArrayList<>();
        rows.stream().filter(BenchmarkResult::isLibrary).forEach(ordered::add);
        rows.stream().filter(r -> !r.isLibrary()).forEach(ordered::add);
        List<BenchmarkResult> libraries = ordered.stream().filter(BenchmarkResult::isLibrary).toList();
        boolean sample = rows.get(0).mode().equals("sample");
        StringBuilder md = new StringBuilder("### ").append(key).append("\n\n| variant | score | ± error | unit | B/op |");
        if (sample) {
            md.append(" p50 | p99 | p99.9 |");
        }
        for (BenchmarkResult lib : libraries) {
            md.append(' ').append(lib.variant()).append(" ÷ row |");
        }
        md.append("\n|---|---:|---:|---|---:|");
        md.append(sample ? "---:|---:|---:|" : "");
        md.append("---:|".repeat(libraries.size())).append('\n');
        for (BenchmarkResult r : ordered) {
            md.append("| ").append(r.isLibrary() ? "**" + r.variant() + "**" : r.variant())
                    .append(" | ").append(format(r.score()))
                    .append(" | ").append(Double.isNaN(r.error()) ? "" : format(r.error()))
                    .append(" | ").append(r.unit())
                    .append(" | ").append(Double.isNaN(r.gcBytesPerOp()) ? "" : format(r.gcBytesPerOp()))
                    .append(" |");
            if (sample) {
                for (String p : List.of("50.0", "99.0", "99.9")) {
                    Double v = r.percentiles().get(p);
                    md.append(' ').append(v == null ? "" : format(v)).append(" |");
                }
            }
            for (BenchmarkResult lib : libraries) {
                md.append(' ').append(r == lib ? "1" : format(ratio(lib, r))).append(" |");
            }
            md.append('\n');
        }
        return md.append('\n').toString();
    }

    /** {@return {@code library.score / peer.score}; NaN if either is missing or zero} */
    static double ratio(BenchmarkResult library, BenchmarkResult peer) {
        if (Double.isNaN(library.score()) || Double.isNaN(peer.score()) || peer.score() == 0) {
            return Double.NaN;
        }
        return library.score() / peer.score();
    }

    static String format(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        double a = Math.abs(v);
        String pattern = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, pattern, v);
    }

    static String rssTable(List<RssAfterChurnMain.Row> rows) {
        StringBuilder md = new StringBuilder("### Resident memory after churn (RssAfterChurnMain, one JVM per peer)\n\n");
        md.append("| peer | live MiB | RSS before MiB | after churn MiB | after idle MiB | after trim MiB "
                + "| added RSS ÷ live, idle | added RSS ÷ live, trim | pages under kept blocks ÷ live |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (RssAfterChurnMain.Row r : rows) {
            if (r.error() != null) {
                md.append("| ").append(r.peer()).append(" | unavailable: ").append(r.error().replace('|', '/'))
                        .append(" | | | | | | | |\n");
                continue;
            }
            md.append("| ").append(r.peer()).append(" | ").append(format(r.liveBytes() / 1048576.0))
                    .append(" | ").append(format(r.rssBefore() / 1048576.0))
                    .append(" | ").append(format(r.rssAfterChurn() / 1048576.0))
                    .append(" | ").append(format(r.rssAfterIdle() / 1048576.0))
                    .append(" | ").append(r.rssAfterTrim() == 0 ? "n/a" : format(r.rssAfterTrim() / 1048576.0)
                            + (r.trimmed() ? "" : " (no trim call)"))
                    .append(" | ").append(format(r.addedPerLiveByte()))
                    .append(" | ").append(format(r.addedAfterTrimPerLiveByte()))
                    .append(" | ").append(format(r.pinnedPerLiveByte())).append(" |\n");
        }
        return md.append("\nThe `control` row runs the same loop with no memory behind the blocks: its growth is ")
                .append("the JVM's own (JIT, bookkeeping) and is part of every other row too. ")
                .append("\"Pages under kept blocks\" counts the distinct 4 KiB pages the surviving blocks overlap: ")
                .append("the resident floor of an allocator that does not move blocks, once they are written whole ")
                .append("(a peer reads below it where a block's middle pages were never written).\n\n").toString();
    }

    private static String machine() {
        String cpu = "unknown CPU";
        try {
            Optional<String> model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name")).findFirst();
            if (model.isPresent()) {
                cpu = model.get().substring(model.get().indexOf(':') + 1).trim();
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the OS name below still says where it ran
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.name")
                + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch")
                + " (as seen by the report generator)";
    }
}
