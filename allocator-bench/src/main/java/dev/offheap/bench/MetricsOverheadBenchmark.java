package dev.offheap.bench;

import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.allocator.slab.SlabAllocator;
import dev.offheap.allocator.metrics.StripedCounter;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What counting costs on the allocation path.
 *
 * <ul>
 *   <li>{@code bumpCounting} against {@code bumpNotCounting}: the same bump allocation, in a JVM
 *       where hot-path counting is on (the default) and one started with
 *       {@code -Ddev.offheap.metrics.counting=false}; the ratio is the cost of metrics on the bump path.
 *       Another allocator's on/off pair is added the same way: one method per setting, the "off"
 *       one with the method-level {@code @Fork} below.</li>
 *   <li>{@code counter*}: the counter primitives alone, one add each, to show why the library's
 *       {@link StripedCounter} and not a {@link LongAdder} or an {@link AtomicLong}. Run with
 *       {@code -t 2} (or more) to see them under contention: the counter state is shared.</li>
 *   <li>{@code snapshot}: what one {@code snapshot()} costs a scrape.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class MetricsOverheadBenchmark {
    /** Bytes allocated before the arena rewinds, over memory already faulted in: 16 MiB. */
    static final long WINDOW_BYTES = 16L << 20;
    static final long SIZE = 64;

    /** A bump arena per thread. */
    @State(Scope.Thread)
    public static class Bump {
        BumpArena arena;

        @Setup(Level.Trial)
        public void setUp() {
            arena = BumpArena.builder().name("bench").reserve(1L << 30).zeroing(false).build();
            arena.allocate(WINDOW_BYTES, 8).fill((byte) 0); // the first span is taken and faulted in now
            arena.reset();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }

        long allocate() {
            if (arena.usedBytes() > WINDOW_BYTES - SIZE) {
                arena.reset();
            }
            return arena.allocateAddress(SIZE, 8);
        }
    }

    /** A slab allocator; each benchmark thread uses its own thread cache. */
    @State(Scope.Benchmark)
    public static class Slab {
        SlabAllocator slab;

        @Setup(Level.Trial)
        public void setUp() {
            slab = SlabAllocator.builder().name("bench").reserve(1L << 30).zeroing(false).build();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            slab.close();
        }

        long allocateAndFree() {
            long handle = slab.allocate(SIZE);
            slab.free(handle);
            return handle;
        }
    }

    /** Counters shared by every benchmark thread. */
    @State(Scope.Benchmark)
    public static class Counters {
        final StripedCounter striped = new StripedCounter();
        final LongAdder adder = new LongAdder();
        final AtomicLong atomic = new AtomicLong();
    }

    /** Per-thread plain field: the cost floor, what a confined allocator pays. */
    @State(Scope.Thread)
    public static class PlainField {
        long count;
    }

    @Benchmark
    public long bumpCounting(Bump bump) {
        return bump.allocate();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Ddev.offheap.metrics.counting=false"})
    public long bumpNotCounting(Bump bump) {
        return bump.allocate();
    }

    @Benchmark
    public long slabCounting(Slab slab) {
        return slab.allocateAndFree();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Ddev.offheap.metrics.counting=false"})
    public long slabNotCounting(Slab slab) {
        return slab.allocateAndFree();
    }

    @Benchmark
    public AllocatorSnapshot snapshot(Bump bump) {
        return bump.arena.snapshot();
    }

    @Benchmark
    public long counterPlainField(PlainField field) {
        return ++field.count;
    }

    @Benchmark
    public void counterStriped(Counters counters) {
        counters.striped.increment();
    }

    @Benchmark
    public void counterLongAdder(Counters counters) {
        counters.adder.increment();
    }

    @Benchmark
    public long counterAtomicLong(Counters counters) {
        return counters.atomic.incrementAndGet();
    }
}
