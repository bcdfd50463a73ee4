package dev.offheap.bench;

import dev.offheap.bench.peers.LongBlocks;
import dev.offheap.bench.peers.ObjectBlocks;
import dev.offheap.bench.state.Peers;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small port of mimalloc-bench's larson (server churn): each of two threads keeps
 * {@value #SLOTS} live blocks of random sizes (16 B to 1 KiB, log-uniform) and, per operation,
 * frees a random one and allocates a new block in its place. The live set stays constant while
 * blocks of mixed sizes come and go in random order, as in a server's per-connection buffers.
 * Not ported: larson's handing of whole slot arrays to new threads every round (cross-thread frees
 * are {@link CrossThreadBenchmark}'s job). The first call of a thread fills its slots (during
 * warmup); blocks still live at the end of the trial are not freed (the fork exits).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled",
        "-Xms512m", "-Xmx512m"})
@Threads(2)
@State(Scope.Thread)
public class LarsonBenchmark {
    /** Live blocks per thread. */
    public static final int SLOTS = 1000;
    /** Pre-drawn slot indexes per thread: a power of two. */
    private static final int PICKS = 1 << 14;
    private static final AtomicLong THREAD_SEEDS = new AtomicLong(0x5EED_0004L);

    private final SizeTable sizes;
    private final int[] picks = new int[PICKS];
    private int cursor;
    private final long[] longSlots = new long[SLOTS];
    private final Object[] objectSlots = new Object[SLOTS];
    private boolean filled;

    public LarsonBenchmark() {
        long seed = THREAD_SEEDS.getAndIncrement(); // thread 0 and thread 1 get the same seeds every run
        sizes = new SizeTable(16, 1024, seed);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < PICKS; i++) {
            picks[i] = random.nextInt(SLOTS);
        }
    }

    private int nextSlot() {
        int slot = picks[cursor];
        cursor = (cursor + 1) & (PICKS - 1);
        return slot;
    }

    private long churn(LongBlocks blocks) {
        if (!filled) {
            for (int i = 0; i < SLOTS; i++) {
                longSlots[i] = blocks.allocate(sizes.next());
            }
            filled = true;
        }
        int slot = nextSlot();
        blocks.free(longSlots[slot]);
        long block = blocks.allocate(sizes.next());
        longSlots[slot] = block;
        return block;
    }

    @SuppressWarnings("unchecked")
    private <B> Object churn(ObjectBlocks<B> blocks) {
        if (!filled) {
            for (int i = 0; i < SLOTS; i++) {
                objectSlots[i] = blocks.allocate(sizes.next());
            }
            filled = true;
        }
        int slot = nextSlot();
        blocks.free((B) objectSlots[slot]);
        Object block = blocks.allocate(sizes.next());
        objectSlots[slot] = block;
        return block;
    }

    @Benchmark
    public long library(Peers.Library p) {
        return churn(p.blocks);
    }

    @Benchmark
    public long malloc(Peers.Malloc p) {
        return churn(p.blocks);
    }

    @Benchmark
    public long jemalloc(Peers.Jemalloc p) {
        return churn(p.blocks);
    }

    @Benchmark
    public long unsafe(Peers.Unsafe p) {
        return churn(p.blocks);
    }

    @Benchmark
    public Object arenaPerBlock(Peers.ConfinedArenaPerBlock p) {
        return churn(p.blocks);
    }

    @Benchmark
    public Object directByteBuffer(Peers.DirectByteBuffer p) {
        return churn(p.blocks);
    }

    @Benchmark
    public Object nettyPooled(Peers.NettyPooled p) {
        return churn(p.blocks);
    }

    @Benchmark
    public Object nettyAdaptive(Peers.NettyAdaptive p) {
        return churn(p.blocks);
    }

    @Benchmark
    public Object heap(Peers.Heap p) {
        return churn(p.blocks);
    }
}
