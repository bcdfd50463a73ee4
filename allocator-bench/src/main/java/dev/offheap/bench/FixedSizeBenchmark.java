package dev.offheap.bench;

import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.bench.peers.MallocBlocks;
import dev.offheap.bench.state.Peers;
import io.netty.buffer.ByteBuf;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * One block of a fixed size allocated, its first and last byte written, and freed, on one thread:
 * the cost of the allocator's fast path. Every variant does exactly that; the bump-style ones
 * (bump arena, slicing allocator, long-lived arena) free nothing per block and rewind or close a
 * window instead, which is how they are used. Backing memory that can be pre-touched is, and the
 * warmup iterations cycle every pool's working set, so no figure includes a first-touch page fault
 * ({@link FirstTouchBenchmark} measures that separately).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled",
        "-Xms512m", "-Xmx512m"})
@State(Scope.Thread)
public class FixedSizeBenchmark {

    @Param({"16", "64", "1024", "16384", "262144"})
    public long size;

    /**
     * This library's {@code OffHeap}, handle only: allocate and free, no access (issue 11's first
     * target, against {@link #mallocHandleOnly}).
     */
    @Benchmark
    public long libraryHandleOnly(Peers.Library p) {
        OffHeap memory = p.blocks.allocator();
        long handle = memory.allocate(size);
        memory.free(handle);
        return handle;
    }

    /** malloc and free through FFM downcalls, no access: the peer of {@link #libraryHandleOnly}. */
    @Benchmark
    public long mallocHandleOnly() {
        long address = MallocBlocks.malloc(size);
        MallocBlocks.freeAddress(address);
        return address;
    }

    /**
     * This library's {@code OffHeap}: allocate, write the first and last byte through the validated
     * access path ({@code LibraryHooks.writeFirstLast}), free. Against {@link #malloc}, which writes
     * through its raw address (issue 11's second target).
     */
    @Benchmark
    public long library(Peers.Library p) {
        long block = p.blocks.allocate(size);
        p.blocks.free(block);
        return block;
    }

    /** This library's bump arena, raw address path; rewinds every 64 MiB. */
    @Benchmark
    public long libraryBump(Peers.Bump p) {
        long block = p.blocks.allocate(size);
        p.blocks.free(block);
        return block;
    }

    /** This library's bump arena, segment path (like for like with the slicing allocator). */
    @Benchmark
    public MemorySegment libraryBumpSegment(Peers.BumpSegment p) {
        MemorySegment block = p.blocks.allocate(size);
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public MemorySegment slicingAllocator(Peers.Slicing p) {
        MemorySegment block = p.blocks.allocate(size);
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public MemorySegment longLivedArena(Peers.LongLivedArena p) {
        MemorySegment block = p.blocks.allocate(size);
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public Arena arenaPerBlock(Peers.ConfinedArenaPerBlock p) {
        Arena block = p.blocks.allocate(size);
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public long malloc(Peers.Malloc p) {
        long block = p.blocks.allocate(size);
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public long jemalloc(Peers.Jemalloc p) {
        long block = p.blocks.allocate(size);
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public long unsafe(Peers.Unsafe p) {
        long block = p.blocks.allocate(size);
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public ByteBuffer directByteBuffer(Peers.DirectByteBuffer p) {
        ByteBuffer block = p.blocks.allocate(size);
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public ByteBuf nettyPooled(Peers.NettyPooled p) {
        ByteBuf block = p.blocks.allocate(size);
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public ByteBuf nettyAdaptive(Peers.NettyAdaptive p) {
        ByteBuf block = p.blocks.allocate(size);
        p.blocks.free(block);
        return block;
    }

    @Benchmark
    public byte[] heap(Peers.Heap p) {
        byte[] block = p.blocks.allocate(size);
        p.blocks.free(block);
        return block;
    }
}
