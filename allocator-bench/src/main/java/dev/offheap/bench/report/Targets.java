package dev.offheap.bench.report;

import dev.offheap.bench.rss.RssAfterChurnMain;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks the targets of DESIGN.md against the measured rows and says, for each, what was measured,
 * whether it is met, or why it could not be measured.
 *
 * <p>Stateless and thread-safe.
 */
final class Targets {
    private Targets() {
    }

    static String section(List<BenchmarkResult> rows, List<RssAfterChurnMain.Row> rss) {
        StringBuilder md = new StringBuilder("## Targets ([docs/benchmarks.md](../benchmarks.md#targets))\n\n");
        List<String> handles = rows.stream().map(BenchmarkResult::variant).filter(v -> v.startsWith("library:"))
                .distinct().toList();
        String none = "not measured: no `HandleAllocator` of this library in this build "
                + "(`LibraryAllocators.NAMES` is empty)";

        md.append("- slab 64 B alloc+free ≤ 0.3× malloc, ≤ 0.15× Netty pooled, 0 B/op: ");
        if (handles.isEmpty()) {
            md.append(none);
        }
        for (String lib : handles) {
            Optional<BenchmarkResult> l = find(rows, "FixedSizeBenchmark", lib, Map.of("size", "64"));
            md.append(lib).append(": ").append(compare(l, find(rows, "FixedSizeBenchmark", "malloc",
                    Map.of("size", "64")), 0.3, false)).append(" vs malloc, ")
                    .append(compare(l, find(rows, "FixedSizeBenchmark", "nettyPooled", Map.of("size", "64")), 0.15,
                            false)).append(" vs nettyPooled, ")
                    .append(l.map(r -> ReportMain.format(r.gcBytesPerOp()) + " B/op").orElse("B/op n/a"))
                    .append("; ");
        }
        md.append('\n');

        md.append("- bump 64 B ≤ 1.0× slicingAllocator: ").append(compare(
                find(rows, "FixedSizeBenchmark", "libraryBump", Map.of("size", "64")),
                find(rows, "FixedSizeBenchmark", "slicingAllocator", Map.of("size", "64")), 1.0, false)).append('\n');

        md.append("- random sizes ≤ 0.5× malloc and jemalloc, p99.9 ≤ 3× median: ");
        if (handles.isEmpty()) {
            md.append(none);
        }
        for (String lib : handles) {
            Optional<BenchmarkResult> l = find(rows, "RandomSizeBenchmark", lib, Map.of());
            md.append(lib).append(": ")
                    .append(compare(l, find(rows, "RandomSizeBenchmark", "malloc", Map.of()), 0.5, false))
                    .append(" vs malloc, ")
                    .append(compare(l, find(rows, "RandomSizeBenchmark", "jemalloc", Map.of()), 0.5, false))
                    .append(" vs jemalloc, ");
            Optional<BenchmarkResult> tail = find(rows, "RandomSizeTailBenchmark", lib, Map.of());
            md.append(tail.filter(t -> t.percentiles().containsKey("99.9") && t.percentiles().get("50.0") > 0)
                    .map(t -> {
                        double x = t.percentiles().get("99.9") / t.percentiles().get("50.0");
                        return "p99.9/p50 = " + ReportMain.format(x) + (x <= 3 ? " (met)" : " (**missed**)");
                    }).orElse("tail not measured")).append("; ");
        }
        md.append('\n');

        md.append("- cross-thread free ≥ 1.5× Netty pooled throughput: ");
        if (handles.isEmpty()) {
            md.append(none);
        }
        for (String lib : handles) {
            md.append(lib).append(": ").append(compare(
                    find(rows, "CrossThreadBenchmark", lib, Map.of("sizes", "64")),
                    find(rows, "CrossThreadBenchmark", "nettyPooled", Map.of("sizes", "64")), 1.5, true))
                    .append("; ");
        }
        md.append('\n');

        md.append("- resident memory after churn and idle ≤ 1.1× live bytes: ");
        List<RssAfterChurnMain.Row> libRss = rss.stream().filter(r -> r.peer().startsWith("library:")).toList();
        if (rss.isEmpty()) {
            md.append("not measured in this run (no rss.json)");
        } else if (libRss.isEmpty()) {
            md.append(none);
        }
        for (RssAfterChurnMain.Row r : libRss) {
            if (r.error() != null) {
                md.append(r.peer()).append(": unavailable; ");
                continue;
            }
            double x = r.addedPerLiveByte();
            md.append(r.peer()).append(": ").append(ReportMain.format(x)).append("× ")
                    .append(x <= 1.1 ? "(met)" : "(**missed**)").append("; ");
        }
        return md.append('\n').toString();
    }

    static Optional<BenchmarkResult> find(List<BenchmarkResult> rows, String workload, String variant,
                                          Map<String, String> params) {
        return rows.stream().filter(r -> r.workload().equals(workload) && r.variant().equals(variant)
                && r.threads() == 1 && r.params().entrySet().containsAll(params.entrySet())).findFirst();
    }

    /** Says {@code ratio (met|missed)} or why there is none. */
    static String compare(Optional<BenchmarkResult> library, Optional<BenchmarkResult> peer, double target,
                          boolean higherIsBetter) {
        if (library.isEmpty() || peer.isEmpty()) {
            return "not measured (" + (library.isEmpty() ? "library" : "peer") + " variant missing from the run)";
        }
        double x = ReportMain.ratio(library.get(), peer.get());
        boolean met = higherIsBetter ? x >= target : x <= target;
        return ReportMain.format(x) + "× " + (met ? "(met)" : "(**missed**)");
    }
}
