package dev.offheap.bench.harness;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one harness (a measurement that is not a JMH benchmark: virtual threads, growth, cold
 * start, footprint, GC pauses) found, in the form the report reads: figures, latency curves and
 * time series, each tagged with the peer it belongs to. Written as JSON to
 * {@code harness-NAME.json} in the suite's output directory.
 *
 * <p>Not thread-safe: built by the harness's main thread, then written once.
 *
 * @param harness the harness's name, e.g. {@code growth}
 * @param note    how it was run (sizes, counts, flags), for the report
 * @param figures one figure per peer and metric
 * @param curves  latency percentile curves (HdrHistogram style)
 * @param series  values over time (heap size, resident memory, pauses)
 * @param errors  peers that could not be measured, each as {@code peer: why}
 */
public record HarnessReport(String harness, String note, List<Figure> figures, List<LatencyCurve> curves,
                            List<TimeSeries> series, List<String> errors) {
    /** The prefix of the file each harness writes in the output directory. */
    public static final String FILE_PREFIX = "harness-";

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .create();

    /**
     * One measured value.
     *
     * @param peer   who was measured: {@code library:offheap}, {@code malloc}, ...
     * @param metric what, dot-separated, e.g. {@code growth.p99.9}
     * @param value  the value; negative where the library build does not expose it (see {@code LibraryHooks})
     * @param unit   {@code ns}, {@code ms}, {@code bytes}, {@code count}, {@code ratio}
     */
    public record Figure(String peer, String metric, double value, String unit) {
    }

    /**
     * Latency at a range of percentiles, for a percentile plot with a log x axis of 1/(1-p).
     *
     * @param peer        who was measured
     * @param phase       which part of the run, e.g. {@code growth} or {@code steady}
     * @param percentiles percentiles, ascending (e.g. 50, 90, 99, 99.9, ...)
     * @param nanos       the latency at each percentile, in nanoseconds
     */
    public record LatencyCurve(String peer, String phase, List<Double> percentiles, List<Double> nanos) {
    }

    /**
     * A value sampled over time.
     *
     * @param peer    who was measured
     * @param name    what, e.g. {@code heap.used.mib} or {@code gc.pause.ms}
     * @param seconds seconds since the run started, one per value
     * @param values  the values
     */
    public record TimeSeries(String peer, String name, List<Double> seconds, List<Double> values) {
    }

    /** {@return an empty report to be filled} @param harness its name @param note how it runs */
    public static HarnessReport of(String harness, String note) {
        return new HarnessReport(harness, note, new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                new ArrayList<>());
    }

    /** Adds a figure; returns this. */
    public HarnessReport add(String peer, String metric, double value, String unit) {
        figures.add(new Figure(peer, metric, value, unit));
        return this;
    }

    /** Adds everything of {@code other} (a child JVM's part); returns this. */
    public HarnessReport addAll(HarnessReport other) {
        figures.addAll(other.figures());
        curves.addAll(other.curves());
        series.addAll(other.series());
        errors.addAll(other.errors());
        return this;
    }

    /**
     * Adds a child's result, or its failure to {@link #errors()}.
     *
     * @param peer    who the child measured
     * @param outcome how the child ended
     * @return this
     */
    public HarnessReport addChild(String peer, ChildJvm.Outcome outcome) {
        if (outcome.report() == null) {
            errors.add(peer + ": " + outcome.why());
            return this;
        }
        return addAll(outcome.report());
    }

    /** {@return the value of one figure, if measured} */
    public Optional<Figure> figure(String peer, String metric) {
        return figures.stream().filter(f -> f.peer().equals(peer) && f.metric().equals(metric)).findFirst();
    }

    /** {@return this report as one line of JSON} (for a child JVM's stdout) */
    public String toJsonLine() {
        return new Gson().newBuilder().serializeSpecialFloatingPointValues().create().toJson(this);
    }

    /** {@return a report parsed from JSON} @param json what {@link #toJsonLine} or {@link #write} wrote */
    public static HarnessReport fromJson(String json) {
        HarnessReport r = GSON.fromJson(json, HarnessReport.class);
        // Gson leaves absent lists null: give every list a value, as the canonical constructor would.
        return new HarnessReport(r.harness(), r.note(), orEmpty(r.figures()), orEmpty(r.curves()), orEmpty(r.series()),
                orEmpty(r.errors()));
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? new ArrayList<>() : new ArrayList<>(list);
    }

    /**
     * Writes {@code harness-NAME.json} into {@code dir}.
     *
     * @param dir the suite's output directory (made if missing)
     * @return the file written
     * @throws IOException if it cannot be written
     */
    public Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE_PREFIX + harness + ".json");
        Files.writeString(file, GSON.toJson(this));
        return file;
    }

    /**
     * Reads every {@code harness-*.json} in {@code dir}, by name.
     *
     * @param dir a directory; missing means none
     * @return the reports, sorted by file name
     * @throws IOException if a file cannot be read
     */
    public static List<HarnessReport> readAll(Path dir) throws IOException {
        List<HarnessReport> reports = new ArrayList<>();
        if (dir == null || !Files.isDirectory(dir)) {
            return reports;
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith(FILE_PREFIX)
                    && p.getFileName().toString().endsWith(".json")).sorted().toList()) {
                reports.add(fromJson(Files.readString(f)));
            }
        }
        return reports;
    }

    /** {@return figures keyed by "peer metric", for lookups} */
    public Map<String, Figure> byKey() {
        Map<String, Figure> map = new java.util.LinkedHashMap<>();
        figures.forEach(f -> map.put(f.peer() + " " + f.metric(), f));
        return map;
    }
}
