package dev.offheap.bench;

import dev.offheap.bench.state.Peers;
import io.netty.buffer.ByteBuf;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Alloc, touch first and last byte, free, of sizes drawn log-uniformly from 16 B to 64 KiB (a fixed
 * seed, a pre-generated table: every variant sees the same sequence). Exercises size-class lookup
 * and the variable-size path that the fixed-size loop never leaves.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled",
        "-Xms512m", "-Xmx512m"})
@State(Scope.Thread)
public class RandomSizeBenchmark {
    /** The seed of the size table: fixed, so runs compare. */
    public static final long SEED = 0x5EED_0001L;

    private final SizeTable sizes = new SizeTable(16, 64 << 10, SEED);

    @Benchmark
    public long library(Peers.Library p) {
        long block = p.blocks.allocate(sizes.next());
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public long libraryBump(Peers.Bump p) {
        long block = p.blocks.allocate(sizes.next());
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public MemorySegment slicingAllocator(Peers.Slicing p) {
        MemorySegment block = p.blocks.allocate(sizes.next());
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public Arena arenaPerBlock(Peers.ConfinedArenaPerBlock p) {
        Arena block = p.blocks.allocate(sizes.next());
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

    @Benchmark
    public long unsafe(Peers.Unsafe p) {
        long block = p.blocks.allocate(sizes.next());
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public ByteBuffer directByteBuffer(Peers.DirectByteBuffer p) {
        ByteBuffer block = p.blocks.allocate(sizes.next());
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public ByteBuf nettyPooled(Peers.NettyPooled p) {
        ByteBuf block = p.blocks.allocate(sizes.next());
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public ByteBuf nettyAdaptive(Peers.NettyAdaptive p) {
        ByteBuf block = p.blocks.allocate(sizes.next());
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public byte[] heap(Peers.Heap p) {
        byte[] block = p.blocks.allocate(sizes.next());
        p.blocks.free(block);
        return block;
    }
}
