package dev.offheap.bench;

import dev.offheap.bench.peers.LongBlocks;
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

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeUnit;

/**
 * A small port of mimalloc-bench's cache-scratch (passive false sharing): one thread allocates one
 * small block for each of two threads, back to back (so they likely share a cache line); each thread
 * frees the block it was given, then per operation allocates an {@value #BLOCK_BYTES}-byte block,
 * writes it {@value #WRITES} times and frees it. An allocator that hands a thread memory on a cache
 * line another thread is writing makes these writes ping-pong between cores. The writes are opaque
 * so the JIT keeps every one. Variants: the peers whose blocks are addresses, and the heap; the
 * object peers (Netty, direct buffers, arenas) are not ported.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
@Threads(2)
public class CacheScratchBenchmark {
    static final long BLOCK_BYTES = 8;
    static final int WRITES = 64;
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final VarHandle BYTE = ValueLayout.JAVA_BYTE.varHandle();
    private static final VarHandle ARRAY_BYTE = MethodHandles.arrayElementVarHandle(byte[].class);

    /** The two blocks handed out at the start, allocated back to back by one thread. */
    @State(Scope.Benchmark)
    public static class Handout {
        private final long[] blocks = new long[2];
        private final AtomicInteger nextThread = new AtomicInteger();
        private boolean allocated;

        synchronized long take(LongBlocks peer, int thread) {
            if (!allocated) {
                blocks[0] = peer.allocate(BLOCK_BYTES);
                blocks[1] = peer.allocate(BLOCK_BYTES);
                allocated = true;
            }
            return blocks[thread];
        }
    }

    /** Which of the two threads this is, and whether it has freed its handed-out block. */
    @State(Scope.Thread)
    public static class Me {
        int index = -1;
    }

    private static long scratch(Handout h, Me me, LongBlocks blocks) {
        if (me.index < 0) {
            me.index = h.nextThread.getAndIncrement() & 1;
            blocks.free(h.take(blocks, me.index));
        }
        long block = blocks.allocate(BLOCK_BYTES);
        long address = blocks.address(block); // a handle is not an address
        for (int i = 0; i < WRITES; i++) {
            BYTE.setOpaque(EVERYTHING, address + (i & (BLOCK_BYTES - 1)), (byte) i);
        }
        blocks.free(block);
        return block;
    }

    @Benchmark
    public long library(Handout h, Me me, Peers.Library p) {
        return scratch(h, me, p.blocks);
    }

    @Benchmark
    public long malloc(Handout h, Me me, Peers.Malloc p) {
        return scratch(h, me, p.blocks);
    }

    @Benchmark
    public long jemalloc(Handout h, Me me, Peers.Jemalloc p) {
        return scratch(h, me, p.blocks);
    }

    @Benchmark
    public long unsafe(Handout h, Me me, Peers.Unsafe p) {
        return scratch(h, me, p.blocks);
    }

    @Benchmark
    public byte[] heap(Peers.Heap p) {
        byte[] block = p.blocks.allocate(BLOCK_BYTES);
        for (int i = 0; i < WRITES; i++) {
            ARRAY_BYTE.setOpaque(block, (int) (i & (BLOCK_BYTES - 1)), (byte) i);
        }
        p.blocks.free(block);
        return block;
    }
}
