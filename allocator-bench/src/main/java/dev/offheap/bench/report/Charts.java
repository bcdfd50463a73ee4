package dev.offheap.bench.report;

import dev.offheap.bench.rss.RssTimeline;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Draws the report's charts with XChart, as PNG files. Every chart shows this library's series in
 * strong, thick lines and its peers in thin muted ones, and at most {@value #MAX_SERIES} series
 * (the library's, then the peers in {@link #PEER_ORDER}), so the one line a reader looks for
 * stands out. Charts: time per operation by block size (error bars where JMH gives them),
 * latency percentile plots (HdrHistogram style: log x axis of 1/(1-p), log y axis starting near
 * the lowest median, so p50 differences stay visible), thread scaling, values over time (resident
 * memory, heap, GC pauses).
 *
 * <p>Stateless and thread-safe; runs AWT headless.
 */
public final class Charts {
    /** The most series on one chart. */
    public static final int MAX_SERIES = 6;
    /** Peers in the order charts keep them when there are too many. */
    static final List<String> PEER_ORDER = List.of("malloc", "mallocHandleOnly", "jemalloc", "nettyPooled",
            "slicingAllocator", "heap", "nettyAdaptive", "arenaPerBlock", "longLivedArena", "unsafe",
            "directByteBuffer", "sharedArenaPerBlock", "control");

    private static final int WIDTH = 1000;
    private static final int HEIGHT = 600;
    private static final Color[] LIBRARY_COLORS = {new Color(0xD62728), new Color(0xFF7F0E), new Color(0x8C1C13),
            new Color(0xE377C2)};
    private static final Color[] PEER_COLORS = {new Color(0x1F77B4), new Color(0x2CA02C), new Color(0x7F7F7F),
            new Color(0x9467BD), new Color(0x17BECF), new Color(0x8C564B), new Color(0xBCBD22)};

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    /** {@return whether a series name is one of this library's} */
    static boolean isLibrary(String name) {
        return name.startsWith("library");
    }

    /**
     * Keeps at most {@value #MAX_SERIES} names: the library's first, then peers in
     * {@link #PEER_ORDER}, then any others in their order.
     */
    static List<String> pick(List<String> names) {
        List<String> picked = new ArrayList<>(names.stream().filter(Charts::isLibrary).distinct().toList());
        for (String peer : PEER_ORDER) {
            names.stream().filter(n -> !isLibrary(n) && base(n).equals(peer) && !picked.contains(n)).forEach(picked::add);
        }
        names.stream().filter(n -> !picked.contains(n)).distinct().forEach(picked::add);
        return picked.subList(0, Math.min(MAX_SERIES, picked.size()));
    }

    /** The peer part of a series name ({@code malloc growth} → {@code malloc}). */
    private static String base(String name) {
        int space = name.indexOf(' ');
        return space < 0 ? name : name.substring(0, space);
    }

    /** Styles one series: the library's thick and warm, the peers' thin and cool. */
    private static void style(XYSeries series, String name, int libraryIndex, int peerIndex) {
        if (isLibrary(name)) {
            Color c = LIBRARY_COLORS[libraryIndex % LIBRARY_COLORS.length];
            series.setLineColor(c);
            series.setMarkerColor(c);
            series.setLineWidth(3.5f);
            series.setMarker(SeriesMarkers.DIAMOND);
        } else {
            Color c = PEER_COLORS[peerIndex % PEER_COLORS.length];
            series.setLineColor(c);
            series.setMarkerColor(c);
            series.setLineWidth(1.5f);
            series.setMarker(SeriesMarkers.CIRCLE);
        }
        if (name.contains("steady")) {
            series.setLineStyle(SeriesLines.DASH_DASH);
        }
    }

    /** One series to draw: x, y and (optional) error values. */
    public record Line(String name, List<Double> x, List<Double> y, List<Double> error) {
    }

    /** Adds the lines to the chart (already picked), styled; returns whether any has 2 points or more. */
    private static boolean addLines(XYChart chart, List<Line> lines) {
        // One colour per peer (its phases differ by line style), in order of first appearance.
        List<String> libraries = new ArrayList<>();
        List<String> peers = new ArrayList<>();
        boolean drawable = false;
        for (Line line : lines) {
            XYSeries s = line.error() == null ? chart.addSeries(line.name(), line.x(), line.y())
                    : chart.addSeries(line.name(), line.x(), line.y(), line.error());
            List<String> seen = isLibrary(line.name()) ? libraries : peers;
            if (!seen.contains(base(line.name()))) {
                seen.add(base(line.name()));
            }
            int index = seen.indexOf(base(line.name()));
            style(s, line.name(), index, index);
            drawable |= line.x().size() >= 2;
        }
        return drawable;
    }

    private static XYChart chart(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setErrorBarsColorSeriesColor(true);
        return chart;
    }

    /**
     * Draws time per operation against block size for one workload's rows, with JMH's 99.9 %
     * confidence half-width as error bars where it has one (full mode: several forks and iterations).
     *
     * @param rows     rows of one workload and mode, with a numeric {@code size} parameter
     * @param title    the chart's title
     * @param file     where to write the PNG (its name ends in {@code .png})
     * @return false if no variant has two sizes or more (no file written)
     * @throws IOException if the file cannot be written
     */
    public static boolean timeBySize(List<BenchmarkResult> rows, String title, Path file) throws IOException {
        Map<String, TreeMap<Long, double[]>> series = new LinkedHashMap<>();
        String unit = "";
        for (BenchmarkResult r : rows) {
            String size = r.params().get("size");
            if (size == null || Double.isNaN(r.score())) {
                continue;
            }
            unit = r.unit();
            series.computeIfAbsent(r.variant(), v -> new TreeMap<>())
                    .put(Long.parseLong(size), new double[] {r.score(), r.error()});
        }
        List<Line> lines = new ArrayList<>();
        for (String variant : pick(new ArrayList<>(series.keySet()))) {
            TreeMap<Long, double[]> points = series.get(variant);
            List<Double> x = points.keySet().stream().map(Long::doubleValue).toList();
            List<Double> y = points.values().stream().map(p -> p[0]).toList();
            boolean errors = points.values().stream().noneMatch(p -> Double.isNaN(p[1]));
            // A bar below zero cannot be drawn on a log axis: clamp it just above.
            List<Double> e = errors ? points.values().stream().map(p -> Math.min(p[1], 0.95 * p[0])).toList() : null;
            lines.add(new Line(variant, x, y, e));
        }
        if (lines.stream().allMatch(l -> l.x().size() < 2)) {
            return false; // one size: a table says it better than a chart of dots
        }
        XYChart chart = chart(title, "block size (bytes)", unit + " (log scale, lower is better; bars: 99.9 % CI)");
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        addLines(chart, lines);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return true;
    }

    /**
     * One latency distribution: the value at each percentile.
     *
     * @param name        the series' name ({@code library:offheap}, {@code malloc growth}, ...)
     * @param percentiles percentiles, 0 to 100
     * @param values      the latency at each, in the chart's unit
     */
    public record Distribution(String name, List<Double> percentiles, List<Double> values) {
    }

    /** {@return the percentile an x value 1/(1-p) of a percentile plot stands for: 10 → 90%, 1000 → 99.9%} */
    static String percentileLabel(double x) {
        if (x <= 1.0001) {
            return "0%";
        }
        double p = 100 * (1 - 1 / x);
        String s = String.format(Locale.ROOT, "%.6f", p).replaceAll("0+$", "").replaceAll("\\.$", "");
        return s + "%";
    }

    /**
     * Draws an HdrHistogram-style percentile plot: latency against percentile, the x axis
     * logarithmic in 1/(1-p) so that 90 %, 99 %, 99.9 % ... are equally spaced, the y axis
     * logarithmic from just under the lowest median so p50 differences stay visible.
     *
     * @param distributions the series (at most {@value #MAX_SERIES} are drawn, the library's first)
     * @param title         the chart's title
     * @param unit          the unit of the values, e.g. {@code ns}
     * @param file          where to write the PNG
     * @return false if no series has two percentiles below 100 (no file written)
     * @throws IOException if the file cannot be written
     */
    public static boolean percentilePlot(List<Distribution> distributions, String title, String unit, Path file)
            throws IOException {
        Map<String, Distribution> byName = new LinkedHashMap<>();
        distributions.forEach(d -> byName.putIfAbsent(d.name(), d));
        List<Line> lines = new ArrayList<>();
        double lowestMedian = Double.MAX_VALUE;
        for (String name : pick(new ArrayList<>(byName.keySet()))) {
            Distribution d = byName.get(name);
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (int i = 0; i < d.percentiles().size(); i++) {
                double p = d.percentiles().get(i);
                if (p >= 100 || Double.isNaN(d.values().get(i))) {
                    continue; // 1/(1-p) is infinite at the maximum
                }
                x.add(1 / (1 - p / 100));
                y.add(Math.max(d.values().get(i), 0.1)); // a sample below timer resolution reads 0
                if (p == 50) {
                    lowestMedian = Math.min(lowestMedian, Math.max(d.values().get(i), 0.1));
                }
            }
            if (x.size() >= 2) {
                lines.add(new Line(name, x, y, null));
            }
        }
        if (lines.isEmpty()) {
            return false;
        }
        // The x axis' own labels are 1/(1-p); the title says how they read. (XChart's custom tick
        // labels switch a log axis to linear tick spacing, which never ends on a 1..10^6 range.)
        XYChart chart = chart(title, "1/(1-p), log scale: 2 = " + percentileLabel(2) + ", 10 = " + percentileLabel(10)
                + ", 100 = " + percentileLabel(100) + ", 1000 = " + percentileLabel(1000) + ", 10^4 = "
                + percentileLabel(10_000) + ", 10^5 = " + percentileLabel(100_000), unit + " per operation (log scale)");
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setXAxisLogarithmicDecadeOnly(true);
        if (lowestMedian < Double.MAX_VALUE) {
            // Start a little under the lowest median, not at 1: the medians' differences stay visible.
            chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(lowestMedian * 0.8) * 4) / 4));
        }
        addLines(chart, lines);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return true;
    }

    /**
     * Draws a score against thread count, one line per variant.
     *
     * @param points  variant → (threads → score)
     * @param title   the chart's title
     * @param yTitle  the y axis' title
     * @param file    where to write the PNG
     * @return false if no variant has two thread counts (no file written)
     * @throws IOException if the file cannot be written
     */
    public static boolean scaling(Map<String, TreeMap<Integer, Double>> points, String title, String yTitle, Path file)
            throws IOException {
        List<Line> lines = new ArrayList<>();
        for (String variant : pick(new ArrayList<>(points.keySet()))) {
            TreeMap<Integer, Double> p = points.get(variant);
            lines.add(new Line(variant, p.keySet().stream().map(Integer::doubleValue).toList(),
                    new ArrayList<>(p.values()), null));
        }
        if (lines.stream().allMatch(l -> l.x().size() < 2)) {
            return false;
        }
        XYChart chart = chart(title, "threads", yTitle);
        chart.getStyler().setYAxisMin(0.0);
        // Thread counts are whole: few ticks, no long fractions.
        chart.getStyler().setXAxisDecimalPattern("#.#");
        chart.getStyler().setXAxisTickMarkSpacingHint(120);
        addLines(chart, lines);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return true;
    }

    /**
     * Draws values against seconds, one series per peer: lines, or markers only for events
     * (GC pauses).
     *
     * @param lines   the series (x in seconds)
     * @param title   the chart's title
     * @param yTitle  the y axis' title
     * @param scatter markers only, no lines
     * @param file    where to write the PNG
     * @return false if nothing has a point (no file written)
     * @throws IOException if the file cannot be written
     */
    public static boolean overTime(List<Line> lines, String title, String yTitle, boolean scatter, Path file)
            throws IOException {
        List<Line> drawn = lines.stream().filter(l -> !l.x().isEmpty()).toList();
        if (drawn.isEmpty()) {
            return false;
        }
        XYChart chart = chart(title, "time (s)", yTitle);
        chart.getStyler().setYAxisMin(0.0);
        if (scatter) {
            chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        } else {
            chart.getStyler().setMarkerSize(0);
        }
        addLines(chart, drawn);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return true;
    }

    /**
     * Draws resident MiB against seconds, one line per peer, with the phases of the first peer that
     * has them marked by vertical lines (peers run at different speeds; the table gives each one's).
     *
     * @param timelines the series, one per peer
     * @param title     the chart's title
     * @param file      where to write the PNG (its name ends in {@code .png})
     * @return false if no series has two samples or more (no file written)
     * @throws IOException if the file cannot be written
     */
    public static boolean rssOverTime(List<RssTimeline> timelines, String title, Path file) throws IOException {
        List<RssTimeline> drawn = timelines.stream().filter(t -> t.millis().size() >= 2).toList();
        if (drawn.isEmpty()) {
            return false;
        }
        XYChart chart = chart(title, "time (s)", "resident memory, VmRSS (MiB)");
        chart.getStyler().setMarkerSize(0);
        double top = 0;
        List<Line> lines = new ArrayList<>();
        Map<String, RssTimeline> byPeer = new LinkedHashMap<>();
        drawn.forEach(t -> byPeer.putIfAbsent(t.peer(), t));
        for (String peer : pick(new ArrayList<>(byPeer.keySet()))) {
            RssTimeline t = byPeer.get(peer);
            lines.add(new Line(peer, t.millis().stream().map(ms -> ms / 1000.0).toList(), t.rssMib(), null));
            top = Math.max(top, t.rssMib().stream().mapToDouble(Double::doubleValue).max().orElse(0));
        }
        addLines(chart, lines);
        double labelTop = top;
        drawn.stream().filter(t -> !t.phases().isEmpty()).findFirst().ifPresent(t -> {
            List<RssTimeline.Phase> phases = t.phases();
            for (int k = 0; k < phases.size(); k++) {
                double x = phases.get(k).startMillis() / 1000.0;
                chart.addAnnotation(new AnnotationLine(x, true, false));
                // staggered heights: short phases start close together and their names would overlap
                chart.addAnnotation(new AnnotationText(phases.get(k).name(), x, labelTop * (0.25 - 0.05 * k), false));
            }
        });
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(top * 1.05);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return true;
    }
}
