package dev.offheap.bench.report;

import dev.offheap.bench.harness.HarnessReport;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report's section for the harnesses (measurements outside JMH): per harness its note, a
 * table of every figure by peer, the peers that could not be measured, and its charts: a
 * percentile plot for latency curves, heap and GC pauses over time for the GC harness.
 *
 * <p>Stateless and thread-safe.
 */
final class HarnessSection {
    private HarnessSection() {
    }

    static String section(List<HarnessReport> reports, Path out) throws IOException {
        if (reports.isEmpty()) {
            return "";
        }
        StringBuilder md = new StringBuilder("## Harnesses (one JVM per peer, outside JMH)\n\n");
        for (HarnessReport h : reports) {
            md.append("### ").append(h.harness()).append("\n\n");
            if (h.note() != null) {
                md.append(h.note()).append(".\n\n");
            }
            md.append(charts(h, out));
            md.append(table(h));
            if (!h.errors().isEmpty()) {
                md.append("Not measured: ").append(String.join("; ", h.errors().stream()
                        .map(e -> "`" + e.replace('`', '\'') + "`").toList())).append("\n\n");
            }
        }
        return md.toString();
    }

    /** A metric named {@code size.BYTES.WHAT}: one figure of one block size (the footprint harness). */
    private static final java.util.regex.Pattern PER_SIZE = java.util.regex.Pattern.compile("size\\.(\\d+)\\.(.+)");

    /**
     * Figures as a table: one row per metric, one column per peer (the library's first); figures
     * per block size ({@code size.BYTES.WHAT}) pivoted to one row per size, one column per figure.
     */
    static String table(HarnessReport h) {
        if (!h.figures().isEmpty() && h.figures().stream().allMatch(f -> PER_SIZE.matcher(f.metric()).matches())) {
            return perSizeTable(h);
        }
        List<String> peers = new ArrayList<>();
        h.figures().stream().map(HarnessReport.Figure::peer).filter(Charts::isLibrary).distinct().forEach(peers::add);
        h.figures().stream().map(HarnessReport.Figure::peer).filter(p -> !Charts.isLibrary(p)).distinct()
                .forEach(peers::add);
        if (peers.isEmpty()) {
            return "";
        }
        Map<String, String> units = new LinkedHashMap<>();
        h.figures().forEach(f -> units.putIfAbsent(f.metric(), f.unit()));
        StringBuilder md = new StringBuilder("| metric | unit |");
        peers.forEach(p -> md.append(' ').append(Charts.isLibrary(p) ? "**" + p + "**" : p).append(" |"));
        md.append("\n|---|---|").append("---:|".repeat(peers.size())).append('\n');
        Map<String, HarnessReport.Figure> byKey = h.byKey();
        for (var m : units.entrySet()) {
            md.append("| ").append(m.getKey()).append(" | ").append(m.getValue()).append(" |");
            for (String p : peers) {
                HarnessReport.Figure f = byKey.get(p + " " + m.getKey());
                md.append(' ').append(f == null ? "" : f.value() < 0 && !m.getKey().contains("/") ? "n/a"
                        : ReportMain.format(f.value())).append(" |");
            }
            md.append('\n');
        }
        md.append('\n');
        if (md.indexOf(" n/a |") >= 0) {
            md.append("`n/a`: not exposed by this build of the library (`LibraryHooks` returns -1).\n\n");
        }
        return md.toString();
    }

    private static String perSizeTable(HarnessReport h) {
        Map<String, Map<String, HarnessReport.Figure>> bySize = new LinkedHashMap<>();
        List<String> columns = new ArrayList<>();
        for (HarnessReport.Figure f : h.figures()) {
            var m = PER_SIZE.matcher(f.metric());
            if (m.matches()) {
                String key = f.peer() + ", " + m.group(1) + " B";
                bySize.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(m.group(2), f);
                if (!columns.contains(m.group(2))) {
                    columns.add(m.group(2));
                }
            }
        }
        StringBuilder md = new StringBuilder("| peer, block size |");
        columns.forEach(c -> md.append(' ').append(c).append(" |"));
        md.append("\n|---|").append("---:|".repeat(columns.size())).append('\n');
        boolean notExposed = false;
        for (var row : bySize.entrySet()) {
            md.append("| ").append(row.getKey()).append(" |");
            for (String c : columns) {
                HarnessReport.Figure f = row.getValue().get(c);
                String cell = f == null ? "" : f.value() < 0 ? "n/a" : c.endsWith("/live")
                        ? ReportMain.format(100 * f.value()) + " %" : ReportMain.format(f.value());
                notExposed |= cell.equals("n/a");
                md.append(' ').append(cell).append(" |");
            }
            md.append('\n');
        }
        md.append("\nRatios (`/live`) in percent of live bytes; sizes in bytes.\n\n");
        if (notExposed) {
            md.append("`n/a`: not exposed by this build of the library (`LibraryHooks` returns -1).\n\n");
        }
        return md.toString();
    }

    private static String charts(HarnessReport h, Path out) throws IOException {
        StringBuilder md = new StringBuilder();
        if (!h.curves().isEmpty()) {
            List<Charts.Distribution> d = h.curves().stream().map(c -> new Charts.Distribution(
                    c.peer() + " " + c.phase(), c.percentiles(), c.nanos())).toList();
            String name = "harness-" + h.harness() + "-percentiles.png";
            if (Charts.percentilePlot(d, h.harness() + ": latency by percentile (solid: growth, dashed: steady)",
                    "ns", out.resolve(name))) {
                md.append("![").append(h.harness()).append(" percentiles](").append(name).append(")\n\n");
            }
        }
        Map<String, List<Charts.Line>> byName = new LinkedHashMap<>();
        for (HarnessReport.TimeSeries s : h.series()) {
            byName.computeIfAbsent(s.name(), k -> new ArrayList<>())
                    .add(new Charts.Line(s.peer(), s.seconds(), s.values(), null));
        }
        for (var e : byName.entrySet()) {
            String name = "harness-" + h.harness() + "-" + ReportMain.fileName(e.getKey()) + ".png";
            boolean pauses = e.getKey().contains("pause");
            String title = h.harness() + ": " + (pauses ? "GC pause durations (one marker per pause)"
                    : e.getKey() + " over time");
            if (Charts.overTime(e.getValue(), title, e.getKey(), pauses, out.resolve(name))) {
                md.append("![").append(title).append("](").append(name).append(")\n\n");
            }
        }
        return md.toString();
    }
}
