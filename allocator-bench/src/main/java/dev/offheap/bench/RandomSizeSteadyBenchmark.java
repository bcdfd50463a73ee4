package dev.offheap.bench;

import dev.offheap.bench.state.Peers;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Issue 11's random-size target in steady state: alloc, touch first and last byte, free, of sizes
 * drawn log-uniformly from 16 B to 64 KiB (the table and seed of {@link RandomSizeBenchmark}), after
 * a warm-up long enough for every variant to reach C2 (the library needs about 1.2 s, malloc about
 * 0.4 s: a short warm-up measures start-up, not the allocator). {@link Mode#SampleTime}, so one run
 * gives both the mean (the score, for "≤ 0.5× malloc and jemalloc") and p50 / p99 / p99.9 (for
 * "p99.9 ≤ 5× its p50"). The suite keeps these warm-up settings even in quick mode.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
@State(Scope.Thread)
public class RandomSizeSteadyBenchmark {
    private final SizeTable sizes = new SizeTable(16, 64 << 10, RandomSizeBenchmark.SEED);

    @Benchmark
    public long library(Peers.Library p) {
        long block = p.blocks.allocate(sizes.next());
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public long malloc(Peers.Malloc p) {
        long block = p.blocks.allocate(sizes.next());
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public long jemalloc(Peers.Jemalloc p) {
        long block = p.blocks.allocate(sizes.next());
        p.blocks.free(block);
        return block;
    }
}
