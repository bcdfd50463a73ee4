package dev.offheap.bench;

import dev.offheap.bench.peers.LongBlocks;
import dev.offheap.bench.peers.ObjectBlocks;
import dev.offheap.bench.state.Peers;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Blocks allocated on one thread and freed on another, handed over through a bounded SPSC queue
 * ({@value #QUEUE_CAPACITY} slots): the pattern of a service whose I/O thread allocates a buffer
 * and whose worker frees it. {@code sizes=64} is one fixed size; {@code sizes=16-1024} draws sizes
 * log-uniformly with a fixed seed, a small port of mimalloc-bench's xmalloc-test
 * (producer/consumer). The figure that counts is the {@code freed} counter: blocks that made the
 * whole trip (allocated, written, handed over, freed) per microsecond. When the queue is full the
 * producer allocates nothing and counts {@code full}; when it is empty the consumer counts
 * {@code empty}; both show which side is the bottleneck. Either side yields its core then: on an
 * oversubscribed machine (more runnable threads than cores) a side that spins would burn its whole
 * time slice while the other cannot run, and the figure would measure the scheduler. Blocks still in the queue when the trial
 * ends are not freed (the fork exits).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled",
        "-Xms512m", "-Xmx512m"})
public class CrossThreadBenchmark {
    /** Slots in the handoff queue. */
    public static final int QUEUE_CAPACITY = 256;

    /** The queue between the two threads of one group, and the producer's sizes. */
    @State(Scope.Group)
    public static class Handoff {
        /** {@code "64"}: fixed size; {@code "min-max"}: log-uniform random sizes in that range. */
        @Param({"64", "16-1024"})
        public String sizes;

        final LongSpscQueue longs = new LongSpscQueue(QUEUE_CAPACITY);
        final SpscQueue<Object> objects = new SpscQueue<>(QUEUE_CAPACITY);
        SizeTable table;
        long fixed;

        @Setup(Level.Trial)
        public void setUp() {
            int dash = sizes.indexOf('-');
            if (dash < 0) {
                fixed = Long.parseLong(sizes);
            } else {
                table = new SizeTable(Long.parseLong(sizes.substring(0, dash)),
                        Long.parseLong(sizes.substring(dash + 1)), 0x5EED_0003L);
            }
        }

        long nextSize() {
            return table == null ? fixed : table.next();
        }
    }

    /** Per-thread counts, reported next to the score; reset every iteration. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counts {
        /** Blocks freed by the consumer: the throughput of the handoff. */
        public long freed;
        /** Producer calls that found the queue full and allocated nothing. */
        public long full;
        /** Consumer calls that found the queue empty. */
        public long empty;

        @Setup(Level.Iteration)
        public void reset() {
            freed = 0;
            full = 0;
            empty = 0;
        }
    }

    private static void produce(Handoff h, LongBlocks blocks, Counts c) {
        if (h.longs.isFull()) {
            c.full++;
            Thread.yield(); // let the consumer have the core if the two share one
            return;
        }
        h.longs.offer(blocks.allocate(h.nextSize())); // cannot fail: only this thread fills the queue
    }

    private static void consume(Handoff h, LongBlocks blocks, Counts c) {
        long block = h.longs.poll();
        if (block == 0) {
            c.empty++;
            Thread.yield(); // let the producer have the core if the two share one
            return;
        }
        blocks.free(block);
        c.freed++;
    }

    private static void produce(Handoff h, ObjectBlocks<?> blocks, Counts c) {
        if (h.objects.isFull()) {
            c.full++;
            Thread.yield(); // let the consumer have the core if the two share one
            return;
        }
        h.objects.offer(blocks.allocate(h.nextSize()));
    }

    @SuppressWarnings("unchecked")
    private static <B> void consume(Handoff h, ObjectBlocks<B> blocks, Counts c) {
        Object block = h.objects.poll();
        if (block == null) {
            c.empty++;
            Thread.yield(); // let the producer have the core if the two share one
            return;
        }
        blocks.free((B) block);
        c.freed++;
    }

    @Benchmark
    @Group("library")
    public void libraryAllocate(Handoff h, Peers.Library p, Counts c) {
        produce(h, p.blocks, c);
    }

    @Benchmark
    @Group("library")
    public void libraryFree(Handoff h, Peers.Library p, Counts c) {
        consume(h, p.blocks, c);
    }

    @Benchmark
    @Group("malloc")
    public void mallocAllocate(Handoff h, Peers.Malloc p, Counts c) {
        produce(h, p.blocks, c);
    }

    @Benchmark
    @Group("malloc")
    public void mallocFree(Handoff h, Peers.Malloc p, Counts c) {
        consume(h, p.blocks, c);
    }

    @Benchmark
    @Group("jemalloc")
    public void jemallocAllocate(Handoff h, Peers.Jemalloc p, Counts c) {
        produce(h, p.blocks, c);
    }

    @Benchmark
    @Group("jemalloc")
    public void jemallocFree(Handoff h, Peers.Jemalloc p, Counts c) {
        consume(h, p.blocks, c);
    }

    @Benchmark
    @Group("unsafe")
    public void unsafeAllocate(Handoff h, Peers.Unsafe p, Counts c) {
        produce(h, p.blocks, c);
    }

    @Benchmark
    @Group("unsafe")
    public void unsafeFree(Handoff h, Peers.Unsafe p, Counts c) {
        consume(h, p.blocks, c);
    }

    @Benchmark
    @Group("sharedArenaPerBlock")
    public void sharedArenaPerBlockAllocate(Handoff h, Peers.SharedArenaPerBlock p, Counts c) {
        produce(h, p.blocks, c);
    }

    @Benchmark
    @Group("sharedArenaPerBlock")
    public void sharedArenaPerBlockFree(Handoff h, Peers.SharedArenaPerBlock p, Counts c) {
        consume(h, p.blocks, c);
    }

    @Benchmark
    @Group("directByteBuffer")
    public void directByteBufferAllocate(Handoff h, Peers.DirectByteBuffer p, Counts c) {
        produce(h, p.blocks, c);
    }

    @Benchmark
    @Group("directByteBuffer")
    public void directByteBufferFree(Handoff h, Peers.DirectByteBuffer p, Counts c) {
        consume(h, p.blocks, c);
    }

    @Benchmark
    @Group("nettyPooled")
    public void nettyPooledAllocate(Handoff h, Peers.NettyPooled p, Counts c) {
        produce(h, p.blocks, c);
    }

    @Benchmark
    @Group("nettyPooled")
    public void nettyPooledFree(Handoff h, Peers.NettyPooled p, Counts c) {
        consume(h, p.blocks, c);
    }

    @Benchmark
    @Group("nettyAdaptive")
    public void nettyAdaptiveAllocate(Handoff h, Peers.NettyAdaptive p, Counts c) {
        produce(h, p.blocks, c);
    }

    @Benchmark
    @Group("nettyAdaptive")
    public void nettyAdaptiveFree(Handoff h, Peers.NettyAdaptive p, Counts c) {
        consume(h, p.blocks, c);
    }

    @Benchmark
    @Group("heap")
    public void heapAllocate(Handoff h, Peers.Heap p, Counts c) {
        produce(h, p.blocks, c);
    }

    @Benchmark
    @Group("heap")
    public void heapFree(Handoff h, Peers.Heap p, Counts c) {
        consume(h, p.blocks, c);
    }
}
