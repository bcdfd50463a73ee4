package dev.offheap.bench;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;

import java.util.concurrent.TimeUnit;

/**
 * {@link RandomSizeBenchmark} in {@link Mode#SampleTime}: p50, p99 and p99.9 of one random-size
 * alloc+free, for the target "p99.9 at most 3× the median".
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RandomSizeTailBenchmark extends RandomSizeBenchmark {
}
