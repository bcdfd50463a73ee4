package dev.offheap.bench.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads JMH's JSON result format ({@code -rf json}) into {@link BenchmarkResult}s.
 *
 * <p>Stateless and thread-safe.
 */
public final class JmhJson {
    /** The secondary metric that replaces the primary score where present (cross-thread handoff). */
    static final String HANDOFF_COUNTER = "freed";
    static final String GC_NORM = "gc.alloc.rate.norm";

    private JmhJson() {
    }

    /**
     * Reads one JMH JSON file.
     *
     * @param file the file JMH wrote
     * @return its rows, in file order
     * @throws IOException if it cannot be read
     * @throws IllegalArgumentException if it is not a JMH JSON result
     */
    public static List<BenchmarkResult> read(Path file) throws IOException {
        JsonElement root = JsonParser.parseString(Files.readString(file));
        if (!root.isJsonArray()) {
            throw new IllegalArgumentException("not a JMH JSON result (no top-level array): file=" + file);
        }
        List<BenchmarkResult> rows = new ArrayList<>();
        for (JsonElement element : root.getAsJsonArray()) {
            rows.add(parse(element.getAsJsonObject()));
        }
        return rows;
    }

    /** The metadata of the run: JDK and VM of the first row, for the report's header. */
    static String jdkOf(Path file) throws IOException {
        JsonArray rows = JsonParser.parseString(Files.readString(file)).getAsJsonArray();
        if (rows.isEmpty()) {
            return "unknown";
        }
        JsonObject first = rows.get(0).getAsJsonObject();
        return first.get("vmName").getAsString() + " " + first.get("vmVersion").getAsString();
    }

    static BenchmarkResult parse(JsonObject o) {
        String benchmark = o.get("benchmark").getAsString();
        String[] parts = benchmark.split("\\.");
        String workload = parts[parts.length - 2];
        String variant = parts[parts.length - 1];
        Map<String, String> params = new HashMap<>();
        if (o.has("params")) {
            for (var e : o.getAsJsonObject("params").entrySet()) {
                params.put(e.getKey(), e.getValue().getAsString());
            }
        }
        String library = params.remove("library");
        if (library != null) {
            variant = variant + ":" + library;
        }
        JsonObject primary = o.getAsJsonObject("primaryMetric");
        JsonObject secondary = o.has("secondaryMetrics") ? o.getAsJsonObject("secondaryMetrics") : new JsonObject();
        JsonObject scored = secondary.has(HANDOFF_COUNTER) ? secondary.getAsJsonObject(HANDOFF_COUNTER) : primary;
        double gc = secondary.has(GC_NORM) ? number(secondary.getAsJsonObject(GC_NORM).get("score")) : Double.NaN;
        Map<String, Double> percentiles = new HashMap<>();
        String mode = o.get("mode").getAsString();
        if (mode.equals("sample") && primary.has("scorePercentiles")) {
            for (var e : primary.getAsJsonObject("scorePercentiles").entrySet()) {
                percentiles.put(e.getKey(), number(e.getValue()));
            }
        }
        return new BenchmarkResult(workload, variant, mode, o.get("threads").getAsInt(), params,
                number(scored.get("score")), number(scored.get("scoreError")), scored.get("scoreUnit").getAsString(),
                gc, percentiles);
    }

    /** JMH writes NaN as the string "NaN". */
    private static double number(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return Double.NaN;
        }
        String s = e.getAsString();
        return s.equals("NaN") ? Double.NaN : Double.parseDouble(s);
    }
}
