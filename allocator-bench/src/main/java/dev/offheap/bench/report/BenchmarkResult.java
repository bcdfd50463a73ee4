package dev.offheap.bench.report;

import java.util.Map;
import java.util.TreeMap;

/**
 * One row of a JMH JSON result, reduced to what the report shows.
 *
 * <p>Immutable and thread-safe.
 *
 * @param workload    the benchmark class's simple name, e.g. {@code FixedSizeBenchmark}
 * @param variant     the method (or {@code @Group}) name; {@code library:NAME} for this library's
 *                    {@code HandleAllocator} variants
 * @param mode        JMH's mode: {@code avgt}, {@code sample}, {@code thrpt}, {@code ss}
 * @param threads     threads that ran it
 * @param params      the parameters that tell rows apart, without {@code library} (sorted)
 * @param score       the figure compared: the primary score, or the {@code freed} counter where
 *                    the benchmark has one (cross-thread handoff)
 * @param error       the 99.9% confidence half-width of {@code score}; NaN with one iteration
 * @param unit        the unit of {@code score}
 * @param gcBytesPerOp {@code -prof gc}'s {@code gc.alloc.rate.norm}; NaN without the profiler
 * @param percentiles SampleTime percentiles by JMH's key ({@code "50.0"}, {@code "99.0"},
 *                    {@code "99.9"}); empty for other modes
 */
public record BenchmarkResult(String workload, String variant, String mode, int threads,
                              Map<String, String> params, double score, double error, String unit,
                              double gcBytesPerOp, Map<String, Double> percentiles) {

    /** Copies the maps and sorts the parameters. */
    public BenchmarkResult {
        params = java.util.Collections.unmodifiableMap(new TreeMap<>(params));
        percentiles = Map.copyOf(percentiles);
    }

    /** {@return whether a higher score is better (throughput) rather than a lower one (time)} */
    public boolean higherIsBetter() {
        return mode.equals("thrpt");
    }

    /** {@return whether this row is one of this library's variants} */
    public boolean isLibrary() {
        return variant.startsWith("library");
    }

    /** {@return the key rows are compared within: workload, mode, threads and params} */
    public String tableKey() {
        StringBuilder key = new StringBuilder(workload).append(" (").append(mode);
        if (threads > 1) {
            key.append(", ").append(threads).append(" threads");
        }
        params.forEach((k, v) -> key.append(", ").append(k).append('=').append(v));
        return key.append(')').toString();
    }
}
