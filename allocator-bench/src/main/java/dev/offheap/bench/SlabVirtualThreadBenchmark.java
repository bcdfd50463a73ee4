package dev.offheap.bench;

import dev.offheap.allocator.slab.SlabAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 11's virtual-thread target: 100 000 short tasks, each one 64 B allocate + write + free, on
 * a virtual thread per task, against the same 100 000 operations on 4 platform threads. One
 * operation = the whole batch (single shot), so the ratio of the two scores is the target's; the
 * same virtual threads without the allocation show what starting them costs alone.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class SlabVirtualThreadBenchmark {
    private static final int TASKS = 100_000;
    private static final int PLATFORM_THREADS = 4;

    private SlabAllocator slab;
    private final AtomicLong sink = new AtomicLong();

    @Setup
    public void setUp() {
        slab = SlabAllocator.builder().name("bench-vt").reserve(1L << 32).build();
    }

    @TearDown
    public void tearDown() {
        slab.close();
    }

    private void task() {
        long h = slab.allocate(64);
        // Through segment(), which every version of the slab has, so an older build runs this too.
        MemorySegment block = slab.segment(h);
        block.set(ValueLayout.JAVA_LONG, 0, h);
        sink.lazySet(block.get(ValueLayout.JAVA_LONG, 0));
        slab.free(h);
    }

    /** The same virtual threads with no allocation: what starting 100 000 of them costs alone. */
    @Benchmark
    public long virtualThreadPerTaskWithoutAllocation() {
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < TASKS; i++) {
                long v = i;
                executor.execute(() -> sink.lazySet(v));
            }
        }
        return sink.get();
    }

    @Benchmark
    public long virtualThreadPerTask() {
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < TASKS; i++) {
                executor.execute(this::task);
            }
        }
        return sink.get();
    }

    @Benchmark
    public long fourPlatformThreads() throws InterruptedException {
        List<Thread> threads = new ArrayList<>(PLATFORM_THREADS);
        for (int t = 0; t < PLATFORM_THREADS; t++) {
            Thread thread = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < TASKS / PLATFORM_THREADS; i++) {
                    task();
                }
            });
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        return sink.get();
    }
}
