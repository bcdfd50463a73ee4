package dev.offheap.bench;

import dev.offheap.bench.peers.RawMemory;
import dev.offheap.allocator.slab.SlabAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Alloc on one thread, free on another: the producer allocates a block, writes its first and last
 * byte and hands the {@code long} handle over through a single-producer single-consumer ring; the
 * consumer takes it and frees it (a remote free, back through the page's lock-free stack). Neither
 * side ever waits: a full ring makes the producer free the block itself, an empty one makes the
 * consumer return, so a group can always stop. Read the {@code produce} row (blocks allocated and
 * handed over or freed, per µs); {@code consume} counts polls, empty ones included.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Group)
public class SlabCrossThreadBenchmark {
    private static final int RING = 1024;
    private static final long EMPTY = 0;

    @Param({"64"})
    public long size;

    private SlabAllocator slab;
    /** Slot i holds a handle or EMPTY; the volatile array accesses publish the block. */
    private final AtomicLongArray ring = new AtomicLongArray(RING);
    /** Producer's own cursor. */
    private long produced;
    /** Consumer's own cursor. */
    private long consumed;

    @Setup(Level.Trial)
    public void setUp() {
        slab = SlabAllocator.builder().name("bench-cross").reserve(1L << 30).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (int i = 0; i < RING; i++) {
            long h = ring.getAndSet(i, EMPTY);
            if (h != EMPTY) {
                slab.free(h);
            }
        }
        slab.close();
    }

    /** Allocates and hands over (or frees locally when the ring is full). */
    @Benchmark
    @Group("slabProducerConsumer")
    public long produce() {
        long h = slab.allocate(size);
        RawMemory.touch(slab.segment(h));
        int i = (int) (produced & (RING - 1));
        if (ring.get(i) == EMPTY) {
            ring.setRelease(i, h); // publishes the written block to the consumer
            produced++;
        } else {
            slab.free(h);
        }
        return h;
    }

    /** Takes a handed-over block and frees it from this thread. */
    @Benchmark
    @Group("slabProducerConsumer")
    public long consume() {
        int i = (int) (consumed & (RING - 1));
        long h = ring.getAcquire(i);
        if (h != EMPTY) {
            ring.setRelease(i, EMPTY); // hands the slot back to the producer
            consumed++;
            slab.free(h);
        }
        return h;
    }
}
