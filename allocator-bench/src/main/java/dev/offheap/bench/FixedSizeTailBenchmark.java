package dev.offheap.bench;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;

import java.util.concurrent.TimeUnit;

/**
 * {@link FixedSizeBenchmark} in {@link Mode#SampleTime}: the distribution of single-operation
 * times (p50, p99, p99.9), where the average hides the tail (a pool refilling, a page-in, a GC).
 * Timer resolution (tens of ns) limits what the lowest percentiles can show.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FixedSizeTailBenchmark extends FixedSizeBenchmark {
}
