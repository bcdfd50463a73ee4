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
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A port of mimalloc-bench's larson (server churn with thread migration): slot tables of
 * {@value #SLOTS} live blocks of random sizes (8 B to 1000 B, log-uniform, fixed seeds) are worked
 * on by two threads; per operation a thread frees a random slot of the table it holds and
 * allocates a new block in its place. Every {@value #ROUND} operations it hands its table over, by
 * swapping it with one of {@value #EXCHANGE_SLOTS} tables parked in a shared exchange (one atomic
 * {@code getAndSet}), so a table's blocks are freed by threads other than the one that allocated
 * them, as in larson, where each round's slot arrays pass to new threads. The live set stays
 * constant ({@value #SLOTS} × (2 + {@value #EXCHANGE_SLOTS}) blocks) while blocks of mixed sizes
 * come and go in random order. A table is filled by the first thread to hold it (during warmup);
 * blocks still live at the end of the trial are not freed (the fork exits).
 *
 * <p>Only thread-safe peers whose blocks may be freed by any thread take part.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled",
        "-Xms512m", "-Xmx512m"})
@Threads(2)
public class LarsonBenchmark {
    /** Live blocks per slot table. */
    public static final int SLOTS = 1000;
    /** Operations a thread runs on a table before handing it over. */
    public static final int ROUND = 1000;
    /** Tables parked in the exchange, besides the one each thread holds. */
    public static final int EXCHANGE_SLOTS = 4;
    /** Smallest block size, bytes (larson's default range is 8 to 1000). */
    public static final long MIN_BYTES = 8;
    /** Largest block size, bytes. */
    public static final long MAX_BYTES = 1000;
    private static final int PICKS = 1 << 14;

    /** One table of live blocks with its own size and slot sequences; held by one thread at a time. */
    static final class SlotTable {
        final SizeTable sizes;
        final int[] picks = new int[PICKS];
        final long[] longSlots = new long[SLOTS];
        final Object[] objectSlots = new Object[SLOTS];
        int cursor;
        boolean filled;

        SlotTable(long seed) {
            sizes = new SizeTable(MIN_BYTES, MAX_BYTES, seed);
            SplittableRandom random = new SplittableRandom(seed);
            for (int i = 0; i < PICKS; i++) {
                picks[i] = random.nextInt(SLOTS);
            }
        }

        int nextSlot() {
            int slot = picks[cursor];
            cursor = (cursor + 1) & (PICKS - 1);
            return slot;
        }
    }

    /** The tables parked between holders; the same seeds every run. */
    @State(Scope.Benchmark)
    public static class Exchange {
        final AtomicReferenceArray<SlotTable> parked = new AtomicReferenceArray<>(EXCHANGE_SLOTS);
        final AtomicLong seeds = new AtomicLong(0x5EED_0004L);

        public Exchange() {
            for (int i = 0; i < EXCHANGE_SLOTS; i++) {
                parked.set(i, new SlotTable(seeds.getAndIncrement()));
            }
        }
    }

    /** What one thread holds: a table, how long it has held it, and where it parks it next. */
    @State(Scope.Thread)
    public static class Holder {
        SlotTable table;
        int ops;
        int nextPark;

        SlotTable table(Exchange exchange) {
            if (table == null) {
                table = new SlotTable(exchange.seeds.getAndIncrement());
                nextPark = (int) (Thread.currentThread().threadId() % EXCHANGE_SLOTS);
            }
            if (++ops == ROUND) {
                ops = 0;
                // Atomic swap: the table goes to whoever takes that slot next; never held by two threads.
                table = exchange.parked.getAndSet(nextPark, table);
                nextPark = (nextPark + 1) % EXCHANGE_SLOTS;
            }
            return table;
        }
    }

    private static long churn(Exchange exchange, Holder holder, LongBlocks blocks) {
        SlotTable t = holder.table(exchange);
        if (!t.filled) {
            for (int i = 0; i < SLOTS; i++) {
                t.longSlots[i] = blocks.allocate(t.sizes.next());
            }
            t.filled = true;
        }
        int slot = t.nextSlot();
        blocks.free(t.longSlots[slot]);
        long block = blocks.allocate(t.sizes.next());
        t.longSlots[slot] = block;
        return block;
    }

    @SuppressWarnings("unchecked")
    private static <B> Object churn(Exchange exchange, Holder holder, ObjectBlocks<B> blocks) {
        SlotTable t = holder.table(exchange);
        if (!t.filled) {
            for (int i = 0; i < SLOTS; i++) {
                t.objectSlots[i] = blocks.allocate(t.sizes.next());
            }
            t.filled = true;
        }
        int slot = t.nextSlot();
        blocks.free((B) t.objectSlots[slot]);
        Object block = blocks.allocate(t.sizes.next());
        t.objectSlots[slot] = block;
        return block;
    }

    @Benchmark
    public long library(Exchange e, Holder h, Peers.Library p) {
        return churn(e, h, p.blocks);
    }

    @Benchmark
    public long malloc(Exchange e, Holder h, Peers.Malloc p) {
        return churn(e, h, p.blocks);
    }

    @Benchmark
    public long jemalloc(Exchange e, Holder h, Peers.Jemalloc p) {
        return churn(e, h, p.blocks);
    }

    @Benchmark
    public Object nettyPooled(Exchange e, Holder h, Peers.NettyPooled p) {
        return churn(e, h, p.blocks);
    }

    @Benchmark
    public Object nettyAdaptive(Exchange e, Holder h, Peers.NettyAdaptive p) {
        return churn(e, h, p.blocks);
    }

    @Benchmark
    public Object heap(Exchange e, Holder h, Peers.Heap p) {
        return churn(e, h, p.blocks);
    }
}
