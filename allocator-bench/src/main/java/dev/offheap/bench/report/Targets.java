package dev.offheap.bench.report;

import dev.offheap.bench.harness.HarnessReport;
import dev.offheap.bench.rss.RssAfterChurnMain;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Checks the targets of issues 11 (engine fast path) and 12 (footprint) against the figures of one
 * run and writes them as one table: the target, what was measured (a ratio of the library to the
 * peer measured beside it, or the figure itself), and whether it is met, or why it could not be
 * measured. Rows are matched by workload, variant, parameters and thread count, so a row measured
 * at several thread counts is compared at the count the target names.
 *
 * <p>Stateless and thread-safe.
 */
final class Targets {
    /** Where a target's figure is missing because this build of the library does not expose it. */
    static final String NOT_EXPOSED = "not exposed by this build (see `LibraryHooks`)";

    private Targets() {
    }

    /** One line of the table. */
    record Check(String issue, String target, String measured, String status) {
    }

    static String section(List<BenchmarkResult> rows, List<RssAfterChurnMain.Row> rss, List<HarnessReport> harness) {
        List<Check> checks = checks(rows, rss, harness);
        StringBuilder md = new StringBuilder("## Targets (issues 11 and 12; [docs/benchmarks.md](../benchmarks.md#targets))\n\n");
        md.append("Each ratio is this library ÷ the peer, both measured in this run. `met` / `**missed**` compare ")
                .append("it with the target; a quick-mode or loaded-machine figure is a baseline, not a verdict.\n\n");
        md.append("| issue | target | measured | status |\n|---|---|---|---|\n");
        for (Check c : checks) {
            md.append("| ").append(c.issue()).append(" | ").append(c.target()).append(" | ").append(c.measured())
                    .append(" | ").append(c.status()).append(" |\n");
        }
        return md.append('\n').toString();
    }

    static List<Check> checks(List<BenchmarkResult> rows, List<RssAfterChurnMain.Row> rss, List<HarnessReport> harness) {
        List<Check> checks = new ArrayList<>();
        String lib = rows.stream().map(BenchmarkResult::variant).filter(v -> v.startsWith("library:")).findFirst()
                .map(v -> v.substring(v.indexOf(':'))).orElse(":offheap");
        Map<String, String> size64 = Map.of("size", "64");

        checks.add(timeRatio("11", "`OffHeap` 64 B allocate + free, handle only ≤ 0.35× malloc + free (FFM), 0 B/op",
                find(rows, "FixedSizeBenchmark", "libraryHandleOnly" + lib, size64, 1),
                find(rows, "FixedSizeBenchmark", "mallocHandleOnly", size64, 1), 0.35, true));
        checks.add(timeRatio("11", "64 B allocate + write first and last byte through the validated path + free "
                        + "≤ 0.6× malloc writing through its raw segment, 0 B/op",
                find(rows, "FixedSizeBenchmark", "library" + lib, size64, 1),
                find(rows, "FixedSizeBenchmark", "malloc", size64, 1), 0.6, true));
        checks.add(timeRatio("DESIGN", "bump allocate 64 B ≤ 1.0× `slicingAllocator`",
                find(rows, "FixedSizeBenchmark", "libraryBump", size64, 1),
                find(rows, "FixedSizeBenchmark", "slicingAllocator", size64, 1), 1.0, false));

        Optional<BenchmarkResult> steady = find(rows, "RandomSizeSteadyBenchmark", "library" + lib, Map.of(), 1);
        checks.add(timeRatio("11", "random sizes 16 B – 64 KiB, steady state (mean of SampleTime) ≤ 0.5× malloc",
                steady, find(rows, "RandomSizeSteadyBenchmark", "malloc", Map.of(), 1), 0.5, false));
        checks.add(timeRatio("11", "random sizes 16 B – 64 KiB, steady state ≤ 0.5× jemalloc",
                steady, find(rows, "RandomSizeSteadyBenchmark", "jemalloc", Map.of(), 1), 0.5, false));
        checks.add(steady.filter(t -> t.percentiles().containsKey("99.9") && t.percentiles().get("50.0") > 0)
                .map(t -> {
                    double x = t.percentiles().get("99.9") / t.percentiles().get("50.0");
                    return new Check("11", "random sizes, steady state: p99.9 ≤ 5× its p50", "p99.9 "
                            + ReportMain.format(t.percentiles().get("99.9")) + " ns ÷ p50 "
                            + ReportMain.format(t.percentiles().get("50.0")) + " ns = " + ReportMain.format(x) + "×",
                            status(x <= 5));
                }).orElse(new Check("11", "random sizes, steady state: p99.9 ≤ 5× its p50", "–",
                        "not measured (`RandomSizeSteadyBenchmark` library row missing)")));

        Optional<BenchmarkResult> cross = find(rows, "CrossThreadBenchmark", "library" + lib, Map.of("sizes", "64"), 2);
        checks.add(throughputRatio("11", "allocate on one thread, free on another (64 B) ≥ 1.5× Netty pooled",
                cross, find(rows, "CrossThreadBenchmark", "nettyPooled", Map.of("sizes", "64"), 2), 1.5));
        checks.add(throughputRatio("11", "allocate on one thread, free on another (64 B) ≥ 1.0× jemalloc",
                cross, find(rows, "CrossThreadBenchmark", "jemalloc", Map.of("sizes", "64"), 2), 1.0));
        checks.add(throughputRatio("11", "larson (slot tables handed between 2 threads, 8–1000 B) ≥ 1.5× malloc "
                        + "throughput",
                find(rows, "LarsonBenchmark", "library" + lib, Map.of(), 2),
                find(rows, "LarsonBenchmark", "malloc", Map.of(), 2), 1.5));

        String library = "library" + lib;
        HarnessReport vt = harness(harness, "virtual-threads");
        checks.add(figure("11", "100 000 short virtual-thread tasks (64 B each) ≤ 3× the time on 4 platform threads",
                vt, library, "tasks.virtual/platform", x -> ReportMain.format(x) + "× ("
                        + ms(vt, library, "tasks.virtual.ms") + " vs " + ms(vt, library, "tasks.platform.ms") + ")",
                x -> x <= 3));
        checks.add(figure("11", "10 000 live virtual threads holding 64 B each: committed ≤ 16 MiB", vt, library,
                "live.committed.bytes", x -> ReportMain.format(x / 1048576.0) + " MiB committed for "
                        + vt.figure(library, "live.used.bytes").map(u -> ReportMain.format(u.value() / 1024) + " KiB")
                        .orElse("?") + " used", x -> x <= 16 << 20));
        checks.add(figure("11", "10 000 live virtual threads: no refusal under a 256 MiB limit", vt, library,
                "live.refusals", x -> ReportMain.format(x) + " refused of 10 000", x -> x == 0));

        HarnessReport growth = harness(harness, "growth");
        checks.add(figure("11", "allocation latency while the heap grows to 1 GiB: p99.9 ≤ 5× steady-state p99.9",
                growth, library, "growth.p99.9/steady.p99.9", x -> ReportMain.format(x) + "× (growth p99.9 "
                        + ns(growth, library, "growth.p99.9") + ", steady " + ns(growth, library, "steady.p99.9")
                        + "; malloc " + growth.figure("malloc", "growth.p99.9/steady.p99.9")
                        .map(m -> ReportMain.format(m.value()) + "×").orElse("n/a") + ")", x -> x <= 5));
        checks.add(figure("11", "growth: commits on the caller's thread ≈ 0", growth, library,
                "growth.commits.on.caller", ReportMain::format, x -> x == 0));

        HarnessReport cold = harness(harness, "cold-start");
        checks.add(figure("11", "first `allocate` after `build()` in a fresh JVM ≤ 10 ms (median of JVMs)", cold,
                library, "first.allocate.median.ms", x -> ReportMain.format(x) + " ms (max "
                        + ms(cold, library, "first.allocate.max.ms") + "; build() " + ms(cold, library,
                        "build.median.ms") + ")", x -> x <= 10));

        HarnessReport footprint = harness(harness, "footprint");
        for (long size : List.of(16L, 64L, 1024L, 16384L, 262144L)) {
            String at = "size." + size + ".";
            String label = size >= 1024 ? (size / 1024) + " KiB" : size + " B";
            checks.add(figure("12", "Java heap held by the allocator ÷ live bytes ≤ 1 %, " + label + " blocks",
                    footprint, library + " " + size + " B", footprint, library, at + "heap/live",
                    x -> ReportMain.format(100 * x) + " % (" + footprint.figure(library, at + "live.bytes")
                            .map(l -> ReportMain.format(l.value() / 1048576.0) + " MiB live)").orElse("?)"),
                    x -> x <= 0.01));
            double limit = size <= 16 ? 0.125 : size >= 256 ? 0.02 : Double.NaN;
            if (!Double.isNaN(limit)) {
                checks.add(figure("12", "all metadata (heap + off-heap) ÷ live ≤ " + ReportMain.format(100 * limit)
                                + " %, " + label + " blocks", footprint, library + " " + size + " B", footprint, library,
                        at + "metadata/live", x -> ReportMain.format(100 * x) + " %", x -> x <= limit));
            }
        }

        Optional<RssAfterChurnMain.Row> libRss = rss.stream().filter(r -> r.peer().startsWith("library:")).findFirst();
        checks.add(rss("churn then idle past the default decay, no `trim()`: resident ÷ live ≤ 1.3", libRss, rss,
                RssAfterChurnMain.Row::addedPerLiveByte, 1.3));
        checks.add(rss("churn, idle, then `trim()`: resident ÷ live ≤ 1.15", libRss, rss,
                RssAfterChurnMain.Row::addedAfterTrimPerLiveByte, 1.15));
        return checks;
    }

    private static String status(boolean met) {
        return met ? "met" : "**missed**";
    }

    private static String ms(HarnessReport h, String peer, String metric) {
        return h.figure(peer, metric).map(f -> ReportMain.format(f.value()) + " ms").orElse("n/a");
    }

    private static String ns(HarnessReport h, String peer, String metric) {
        return h.figure(peer, metric).map(f -> ReportMain.format(f.value()) + " ns").orElse("n/a");
    }

    private static HarnessReport harness(List<HarnessReport> reports, String name) {
        return reports.stream().filter(r -> name.equals(r.harness())).findFirst()
                .orElse(HarnessReport.of(name, null));
    }

    private static Check figure(String issue, String target, HarnessReport h, String peer, String metric,
                                Function<Double, String> show, java.util.function.DoublePredicate met) {
        return figure(issue, target, h, peer, h, peer, metric, show, met);
    }

    /** A harness figure checked against its target; {@code errorPeer} is how the child's failure is named. */
    private static Check figure(String issue, String target, HarnessReport h, String errorPeer, HarnessReport h2,
                                String peer, String metric, Function<Double, String> show,
                                java.util.function.DoublePredicate met) {
        Optional<HarnessReport.Figure> f = h2.figure(peer, metric);
        if (f.isPresent() && f.get().value() < 0) {
            return new Check(issue, target, "–", NOT_EXPOSED);
        }
        if (f.isPresent() && !Double.isNaN(f.get().value())) {
            return new Check(issue, target, show.apply(f.get().value()), status(met.test(f.get().value())));
        }
        String why = h.errors().stream().filter(e -> e.startsWith(errorPeer + ":")).findFirst()
                .map(e -> "failed: " + e.substring(errorPeer.length() + 1).trim().replace('|', '/'))
                .orElse(h.figures().isEmpty() && h.errors().isEmpty() ? "not run (no `harness-" + h.harness() + ".json`)"
                        : metric.endsWith("metadata/live") ? NOT_EXPOSED : "not measured");
        return new Check(issue, target, "–", why);
    }

    private static Check rss(String target, Optional<RssAfterChurnMain.Row> lib, List<RssAfterChurnMain.Row> all,
                             Function<RssAfterChurnMain.Row, Double> measure, double limit) {
        if (all.isEmpty()) {
            return new Check("12", target, "–", "not run (no `rss.json`)");
        }
        if (lib.isEmpty() || lib.get().error() != null) {
            return new Check("12", target, "–", "not measured: " + lib.map(RssAfterChurnMain.Row::error)
                    .orElse("no library row"));
        }
        double x = measure.apply(lib.get());
        if (Double.isNaN(x)) {
            return new Check("12", target, "–", "not measured (row without that reading)");
        }
        StringBuilder peers = new StringBuilder();
        for (String peer : List.of("malloc", "jemalloc", "nettyPooled")) {
            all.stream().filter(r -> r.peer().equals(peer) && r.error() == null).findFirst()
                    .ifPresent(r -> peers.append("; ").append(peer).append(' ')
                            .append(ReportMain.format(measure.apply(r))).append('×'));
        }
        return new Check("12", target, ReportMain.format(x) + "× (" + ReportMain.format(lib.get().liveBytes() / 1048576.0)
                + " MiB live" + peers + ")", status(x <= limit));
    }

    /** A row of one workload, variant, parameter set and thread count. */
    static Optional<BenchmarkResult> find(List<BenchmarkResult> rows, String workload, String variant,
                                          Map<String, String> params, int threads) {
        return rows.stream().filter(r -> r.workload().equals(workload) && r.variant().equals(variant)
                && r.threads() == threads && r.params().entrySet().containsAll(params.entrySet())).findFirst();
    }

    /** Time per operation: library ÷ peer, lower is better; optionally 0 B/op too. */
    static Check timeRatio(String issue, String target, Optional<BenchmarkResult> library,
                           Optional<BenchmarkResult> peer, double limit, boolean zeroGarbage) {
        if (library.isEmpty() || peer.isEmpty()) {
            return new Check(issue, target, "–", "not measured (" + (library.isEmpty() ? "library" : "peer")
                    + " variant missing from the run)");
        }
        double x = ReportMain.ratio(library.get(), peer.get());
        double gc = library.get().gcBytesPerOp();
        StringBuilder measured = new StringBuilder(ReportMain.format(x)).append("× (")
                .append(ReportMain.format(library.get().score())).append(" vs ")
                .append(ReportMain.format(peer.get().score())).append(' ').append(library.get().unit());
        boolean met = x <= limit;
        if (zeroGarbage) {
            measured.append("; ").append(Double.isNaN(gc) ? "B/op n/a" : ReportMain.format(gc) + " B/op");
            // JMH's normalised allocation rate reads a few hundredths of a byte for a loop that allocates nothing.
            met &= !Double.isNaN(gc) && gc < 0.5;
        }
        return new Check(issue, target, measured.append(')').toString(), status(met));
    }

    /**
     * Throughput: library ÷ peer, higher is better. For time-per-operation rows (avgt) the ratio is
     * inverted (peer time ÷ library time), so it reads as throughput either way.
     */
    static Check throughputRatio(String issue, String target, Optional<BenchmarkResult> library,
                                 Optional<BenchmarkResult> peer, double limit) {
        if (library.isEmpty() || peer.isEmpty()) {
            return new Check(issue, target, "–", "not measured (" + (library.isEmpty() ? "library" : "peer")
                    + " variant missing from the run)");
        }
        double x = library.get().higherIsBetter() ? ReportMain.ratio(library.get(), peer.get())
                : ReportMain.ratio(peer.get(), library.get());
        return new Check(issue, target, ReportMain.format(x) + "× throughput (" + ReportMain.format(library.get().score())
                + " vs " + ReportMain.format(peer.get().score()) + ' ' + library.get().unit() + ")", status(x >= limit));
    }
}
