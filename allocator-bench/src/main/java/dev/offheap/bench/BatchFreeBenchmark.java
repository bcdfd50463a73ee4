package dev.offheap.bench;

import dev.offheap.bench.peers.LongBlocks;
import dev.offheap.bench.peers.ObjectBlocks;
import dev.offheap.bench.state.Peers;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@value #BATCH} blocks allocated and kept live, then freed in a random order (a fixed permutation):
 * the allocator must find and merge blocks that come back out of order, as in a service whose
 * requests finish in any order. The figure is per block (one alloc and one free), from
 * {@link OperationsPerInvocation}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled",
        "-Xms512m", "-Xmx512m"})
@State(Scope.Thread)
public class BatchFreeBenchmark {
    /** Blocks live at once in one invocation. */
    public static final int BATCH = 1024;

    @Param({"64", "4096"})
    public long size;

    private final long[] longBlocks = new long[BATCH];
    private final Object[] objectBlocks = new Object[BATCH];
    /** The order blocks are freed in: a permutation of 0..BATCH-1, the same for every variant. */
    private final int[] freeOrder = permutation(BATCH, 0x5EED_0002L);

    static int[] permutation(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) { // Fisher-Yates
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private long run(LongBlocks blocks) {
        long[] live = longBlocks;
        for (int i = 0; i < BATCH; i++) {
            live[i] = blocks.allocate(size);
        }
        long last = 0;
        for (int i : freeOrder) {
            last = live[i];
            blocks.free(last);
        }
        return last;
    }

    @SuppressWarnings("unchecked")
    private <B> Object run(ObjectBlocks<B> blocks) {
        Object[] live = objectBlocks;
        for (int i = 0; i < BATCH; i++) {
            live[i] = blocks.allocate(size);
        }
        Object last = null;
        for (int i : freeOrder) {
            last = live[i];
            live[i] = null;
            blocks.free((B) last);
        }
        return last;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long library(Peers.Library p) {
        return run(p.blocks);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long libraryBump(Peers.Bump p) {
        return run(p.blocks);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Object slicingAllocator(Peers.Slicing p) {
        return run(p.blocks);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Object arenaPerBlock(Peers.ConfinedArenaPerBlock p) {
        return run(p.blocks);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long malloc(Peers.Malloc p) {
        return run(p.blocks);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long jemalloc(Peers.Jemalloc p) {
        return run(p.blocks);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long unsafe(Peers.Unsafe p) {
        return run(p.blocks);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Object directByteBuffer(Peers.DirectByteBuffer p) {
        return run(p.blocks);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Object nettyPooled(Peers.NettyPooled p) {
        return run(p.blocks);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Object nettyAdaptive(Peers.NettyAdaptive p) {
        return run(p.blocks);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public Object heap(Peers.Heap p) {
        return run(p.blocks);
    }
}
