package dev.offheap.bench.report;

import dev.offheap.bench.rss.RssTimeline;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Draws the report's charts with XChart, as PNG files: time per operation by block size (one line
 * per variant, both axes logarithmic), SampleTime percentiles (p50, p99, p99.9 per variant) and
 * resident memory over time (one line per peer).
 *
 * <p>Stateless and thread-safe; runs AWT headless.
 */
public final class Charts {
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 600;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    /**
     * Draws time per operation against block size for one workload's rows.
     *
     * @param rows     rows of one workload and mode, with a numeric {@code size} parameter
     * @param title    the chart's title
     * @param file     where to write the PNG (its name ends in {@code .png})
     * @return false if no variant has two sizes or more (no file written)
     * @throws IOException if the file cannot be written
     */
    public static boolean timeBySize(List<BenchmarkResult> rows, String title, Path file) throws IOException {
        Map<String, TreeMap<Long, Double>> series = new LinkedHashMap<>();
        String unit = "";
        for (BenchmarkResult r : rows) {
            String size = r.params().get("size");
            if (size == null || Double.isNaN(r.score())) {
                continue;
            }
            unit = r.unit();
            series.computeIfAbsent(r.variant(), v -> new TreeMap<>()).put(Long.parseLong(size), r.score());
        }
        if (series.values().stream().allMatch(points -> points.size() < 2)) {
            return false; // one size: a table says it better than a chart of dots
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("block size (bytes)").yAxisTitle(unit + " (log scale, lower is better)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        series.forEach((variant, points) -> chart.addSeries(variant,
                points.keySet().stream().map(Long::doubleValue).toList(), new ArrayList<>(points.values())));
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return true;
    }

    /**
     * Draws p50, p99 and p99.9 of each variant of one SampleTime table.
     *
     * @param rows  rows of one table key, mode {@code sample}
     * @param title the chart's title
     * @param file  where to write the PNG (its name ends in {@code .png})
     * @return false if there was nothing to draw (no file written)
     * @throws IOException if the file cannot be written
     */
    public static boolean percentiles(List<BenchmarkResult> rows, String title, Path file) throws IOException {
        List<String> variants = new ArrayList<>();
        Map<String, List<Double>> byPercentile = new LinkedHashMap<>();
        String[][] wanted = {{"50.0", "p50"}, {"99.0", "p99"}, {"99.9", "p99.9"}};
        for (String[] w : wanted) {
            byPercentile.put(w[1], new ArrayList<>());
        }
        String unit = "";
        for (BenchmarkResult r : rows) {
            if (!r.percentiles().keySet().containsAll(List.of("50.0", "99.0", "99.9"))) {
                continue;
            }
            unit = r.unit();
            variants.add(r.variant());
            for (String[] w : wanted) {
                // a log axis cannot show 0 (a sample below timer resolution): floor at 1
                byPercentile.get(w[1]).add(Math.max(1.0, r.percentiles().get(w[0])));
            }
        }
        if (variants.isEmpty()) {
            return false;
        }
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("variant").yAxisTitle(unit.replace("/op", "") + " per op (log scale)").build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setYAxisMin(1.0);
        chart.getStyler().setXAxisLabelRotation(30);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        byPercentile.forEach((name, values) -> chart.addSeries(name, variants, values));
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
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("time (s)").yAxisTitle("resident memory, VmRSS (MiB)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setMarkerSize(0);
        double top = 0;
        for (RssTimeline t : drawn) {
            chart.addSeries(t.peer(), t.millis().stream().map(ms -> ms / 1000.0).toList(), t.rssMib());
            top = Math.max(top, t.rssMib().stream().mapToDouble(Double::doubleValue).max().orElse(0));
        }
        double labelTop = top;
        drawn.stream().filter(t -> !t.phases().isEmpty()).findFirst().ifPresent(t -> {
            List<RssTimeline.Phase> phases = t.phases();
            for (int k = 0; k < phases.size(); k++) {
                double x = phases.get(k).startMillis() / 1000.0;
                chart.addAnnotation(new AnnotationLine(x, true, false));
                // staggered heights: short phases start close together and their names would overlap
                chart.addAnnotation(new AnnotationText(phases.get(k).name(), x, labelTop * (0.2 - 0.05 * k), false));
            }
        });
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(top * 1.05);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return true;
    }
}
