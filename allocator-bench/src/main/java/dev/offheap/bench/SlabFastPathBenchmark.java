package dev.offheap.bench;

import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.slab.SlabAllocator;
import dev.offheap.bench.peers.MallocBlocks;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * The slab's fast path against malloc/free through FFM, side by side in one run (the targets of
 * issue 11): 64 B allocate + free with the handle only, and the same plus two writes (first and last
 * byte) through the validated access path against malloc with two writes through its raw segment.
 * Each variant returns a value so nothing is dead code; run with {@code -prof gc} for B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class SlabFastPathBenchmark {
    private static final long SIZE = 64;

    /** Blocks per invocation of the batch variants. */
    private static final int BATCH = 256;

    private SlabAllocator slab;
    private OffHeap offHeap;
    private final long[] batch = new long[BATCH];
    /** A fixed shuffle: the batch variants free in this order, so few freed neighbours are adjacent. */
    private final int[] freeOrder = BatchFreeBenchmark.permutation(BATCH, 0x5EED_0002L);

    @Setup
    public void setUp() {
        slab = SlabAllocator.builder().name("bench-slab").reserve(1L << 32).build();
        offHeap = OffHeap.builder().name("bench-offheap").reserve(1L << 32).build();
    }

    @TearDown
    public void tearDown() {
        slab.close();
        offHeap.close();
    }

    @Benchmark
    public long mallocFree() {
        long address = MallocBlocks.malloc(SIZE);
        MallocBlocks.freeAddress(address);
        return address;
    }

    @Benchmark
    public long slabAllocateFree() {
        long h = slab.allocate(SIZE);
        slab.free(h);
        return h;
    }

    @Benchmark
    public long offHeapAllocateFree() {
        long h = offHeap.allocate(SIZE);
        offHeap.free(h);
        return h;
    }

    @Benchmark
    public long mallocTwoRawWrites() {
        long address = MallocBlocks.malloc(SIZE);
        MemorySegment raw = MemorySegment.ofAddress(address).reinterpret(SIZE);
        raw.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        raw.set(ValueLayout.JAVA_BYTE, SIZE - 1, (byte) 2);
        MallocBlocks.freeAddress(address);
        return address;
    }

    @Benchmark
    public long slabTwoValidatedWrites() {
        long h = slab.allocate(SIZE);
        slab.putByte(h, 0, (byte) 1);
        slab.putByte(h, SIZE - 1, (byte) 2);
        slab.free(h);
        return h;
    }

    @Benchmark
    public long offHeapTwoValidatedWrites() {
        long h = offHeap.allocate(SIZE);
        offHeap.putByte(h, 0, (byte) 1);
        offHeap.putByte(h, SIZE - 1, (byte) 2);
        offHeap.free(h);
        return h;
    }

    @Benchmark
    public long slabTwoSegmentWrites() {
        long h = slab.allocate(SIZE);
        MemorySegment s = slab.segment(h);
        s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        s.set(ValueLayout.JAVA_BYTE, SIZE - 1, (byte) 2);
        slab.free(h);
        return h;
    }

    /**
     * {@value #BATCH} blocks of 64 B allocated, then freed in a shuffled order, on the defaults
     * (zeroing on): the slots come back in no address order, so the refill that zeroes them finds
     * few runs of neighbours. Per block.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long offHeapBatchShuffledFree() {
        for (int i = 0; i < BATCH; i++) {
            batch[i] = offHeap.allocate(SIZE);
        }
        for (int i = 0; i < BATCH; i++) {
            offHeap.free(batch[freeOrder[i]]);
        }
        return batch[0];
    }

    /** The same through malloc/free via FFM. Per block. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long mallocBatchShuffledFree() {
        for (int i = 0; i < BATCH; i++) {
            batch[i] = MallocBlocks.malloc(SIZE);
        }
        for (int i = 0; i < BATCH; i++) {
            MallocBlocks.freeAddress(batch[freeOrder[i]]);
        }
        return batch[0];
    }
}
