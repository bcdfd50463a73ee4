package dev.offheap.bench.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The report's thread-scaling section: for each workload measured at more than one thread count
 * (the suite runs the fixed-size workload at 1, 2 and 4 threads and the cross-thread handoff at 1,
 * 2 and 4 producer/consumer pairs), the aggregate throughput of each variant by thread count, as a
 * table and a chart. Aggregate throughput is ops/µs over all threads: JMH's throughput score as is,
 * and {@code threads × 1000 / (ns/op)} for time-per-operation rows (JMH's {@code avgt} is per thread).
 * On a machine with fewer cores than threads the figure measures sharing as much as scaling: the
 * header says how many cores the report generator saw.
 *
 * <p>Stateless and thread-safe.
 */
final class ScalingSection {
    private ScalingSection() {
    }

    /** {@return aggregate ops/µs of a row, over all its threads} */
    static double aggregateOpsPerMicro(BenchmarkResult r) {
        if (r.higherIsBetter()) {
            return r.unit().equals("ops/us") ? r.score() : Double.NaN;
        }
        return r.unit().equals("ns/op") ? r.threads() * 1000.0 / r.score() : Double.NaN;
    }

    static String section(List<BenchmarkResult> rows, Path out) throws IOException {
        Map<String, List<BenchmarkResult>> groups = new LinkedHashMap<>();
        for (BenchmarkResult r : rows) {
            if (r.mode().equals("sample") || r.mode().equals("ss")) {
                continue;
            }
            String key = r.workload() + " (" + r.mode() + r.params().entrySet().stream()
                    .map(e -> ", " + e.getKey() + "=" + e.getValue()).reduce("", String::concat) + ")";
            groups.computeIfAbsent(key, k -> new java.util.ArrayList<>()).add(r);
        }
        StringBuilder md = new StringBuilder();
        for (var g : groups.entrySet()) {
            TreeSet<Integer> threads = new TreeSet<>();
            g.getValue().forEach(r -> threads.add(r.threads()));
            if (threads.size() < 2) {
                continue;
            }
            Map<String, TreeMap<Integer, Double>> points = new LinkedHashMap<>();
            g.getValue().stream().filter(BenchmarkResult::isLibrary).forEach(r -> points
                    .computeIfAbsent(r.variant(), v -> new TreeMap<>()).put(r.threads(), aggregateOpsPerMicro(r)));
            g.getValue().stream().filter(r -> !r.isLibrary()).forEach(r -> points
                    .computeIfAbsent(r.variant(), v -> new TreeMap<>()).put(r.threads(), aggregateOpsPerMicro(r)));
            // A variant measured at one thread count only (the suite scales a subset) says nothing here.
            points.values().removeIf(p -> p.size() < 2);
            if (points.isEmpty()) {
                continue;
            }
            if (md.isEmpty()) {
                md.append("## Thread scaling\n\n").append("Aggregate throughput over all threads (ops/µs, higher is ")
                        .append("better); the last column is the highest thread count's figure ÷ the lowest's. ")
                        .append("Cross-thread rows count threads, two per producer/consumer pair.\n\n");
            }
            md.append("### Scaling: ").append(g.getKey()).append("\n\n| variant |");
            threads.forEach(t -> md.append(' ').append(t).append(t == 1 ? " thread |" : " threads |"));
            md.append(" scaling |\n|---|").append("---:|".repeat(threads.size() + 1)).append('\n');
            for (var p : points.entrySet()) {
                md.append("| ").append(Charts.isLibrary(p.getKey()) ? "**" + p.getKey() + "**" : p.getKey()).append(" |");
                threads.forEach(t -> md.append(' ').append(p.getValue().containsKey(t)
                        ? ReportMain.format(p.getValue().get(t)) : "").append(" |"));
                Double first = p.getValue().get(threads.first());
                Double last = p.getValue().get(threads.last());
                md.append(' ').append(first != null && last != null ? ReportMain.format(last / first) + "×" : "")
                        .append(" |\n");
            }
            md.append('\n');
            String name = ReportMain.fileName("scaling " + g.getKey()) + ".png";
            if (Charts.scaling(points, "Thread scaling: " + g.getKey(), "aggregate ops/µs (higher is better)",
                    out.resolve(name))) {
                md.append("![thread scaling ").append(g.getKey()).append("](").append(name).append(")\n\n");
            }
        }
        return md.toString();
    }
}
