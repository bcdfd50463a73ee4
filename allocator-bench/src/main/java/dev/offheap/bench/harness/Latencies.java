package dev.offheap.bench.harness;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;

/**
 * Records operation latencies in an HdrHistogram (1 ns to 10 s, 3 significant digits: about 2 %
 * of the recorded value at worst, a fixed footprint of a few hundred KiB, no allocation per
 * record) and turns them into the report's curves and figures.
 *
 * <p>Not thread-safe: one recorder per measuring thread.
 */
public final class Latencies {
    /** Percentiles of a curve: dense enough for a smooth HdrHistogram-style plot up to p99.999. */
    static final double[] CURVE = {0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999, 100};

    private final Histogram histogram = new Histogram(1, 10_000_000_000L, 3);

    /** Records one latency. @param nanos the operation's time; clamped to the histogram's range */
    public void record(long nanos) {
        histogram.recordValue(Math.clamp(nanos, 1, 10_000_000_000L));
    }

    /** {@return how many latencies were recorded} */
    public long count() {
        return histogram.getTotalCount();
    }

    /** {@return the latency at percentile {@code p} (0 to 100), ns} */
    public double percentile(double p) {
        return histogram.getValueAtPercentile(p);
    }

    /** {@return the largest latency recorded, ns} */
    public double max() {
        return histogram.getMaxValue();
    }

    /** {@return the mean latency, ns} */
    public double mean() {
        return histogram.getMean();
    }

    /**
     * {@return how many latencies exceeded {@code nanos}, to the histogram's resolution: values
     * within about 0.1 % below the bound may be counted too}
     */
    public long countAbove(long nanos) {
        return histogram.getCountBetweenValues(nanos + 1, histogram.getHighestTrackableValue());
    }

    /**
     * Adds p50, p99, p99.9, max and mean as figures {@code PHASE.p50} etc., and the curve.
     *
     * @param report where to add
     * @param peer   who was measured
     * @param phase  which part of the run
     */
    public void addTo(HarnessReport report, String peer, String phase) {
        report.add(peer, phase + ".p50", percentile(50), "ns");
        report.add(peer, phase + ".p99", percentile(99), "ns");
        report.add(peer, phase + ".p99.9", percentile(99.9), "ns");
        report.add(peer, phase + ".max", max(), "ns");
        report.add(peer, phase + ".mean", mean(), "ns");
        report.add(peer, phase + ".count", count(), "count");
        List<Double> ps = new ArrayList<>();
        List<Double> ns = new ArrayList<>();
        for (double p : CURVE) {
            ps.add(p);
            ns.add(percentile(p));
        }
        report.curves().add(new HarnessReport.LatencyCurve(peer, phase, ps, ns));
    }
}
