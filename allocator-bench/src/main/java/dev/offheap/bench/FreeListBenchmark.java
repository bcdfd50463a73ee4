package dev.offheap.bench;

import dev.offheap.bench.peers.RawMemory;
import dev.offheap.allocator.freelist.TlsfAllocator;
import dev.offheap.allocator.region.Region;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Variable-size allocation: sizes drawn uniformly from 16 B to 64 KiB out of a table made once
 * with a fixed seed, so every variant and every run sees the same sequence. Each operation frees
 * the oldest of {@value #LIVE_BLOCKS} live blocks and allocates the next size in its place, then
 * writes the new block's first and last byte: a steady state with fragmentation, no growth and no
 * page faults (the first pass over the window is done in setup).
 *
 * <p>AverageTime gives the mean; SampleTime gives the tail (p99.9 against the median). Peers
 * (malloc through FFM, jemalloc through LWJGL) belong beside these methods, on the same table.
 */
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class FreeListBenchmark {
    /** Blocks live at any time: about 32 MiB at the mean size. */
    static final int LIVE_BLOCKS = 1024;
    /** Sizes in the table; a power of two so the cursor wraps with a mask. */
    static final int SIZE_TABLE_LENGTH = 1 << 16;
    static final long MIN_SIZE = 16;
    static final long MAX_SIZE = 64 * 1024;
    /** The request sizes, in bytes, the same for every variant and run. */
    static final long[] SIZES = sizeTable(42);

    /** Whether the free list zeroes what it hands out (malloc does not). */
    @Param({"false", "true"})
    public boolean zeroing;

    private Region region;
    private TlsfAllocator tlsf;
    private final long[] live = new long[LIVE_BLOCKS];
    private int cursor;

    static long[] sizeTable(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] sizes = new long[SIZE_TABLE_LENGTH];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = random.nextLong(MIN_SIZE, MAX_SIZE + 1);
        }
        return sizes;
    }

    @Setup(Level.Trial)
    public void setUp() {
        region = Region.builder().name("bench").reserve(4L << 30).build();
        tlsf = TlsfAllocator.builder().name("bench-tlsf").region(region).zeroing(zeroing).build();
        for (int i = 0; i < LIVE_BLOCKS; i++) {
            live[i] = tlsf.allocate(SIZES[i]);
            touch(tlsf.segment(live[i]));
        }
        cursor = LIVE_BLOCKS;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (long h : live) {
            tlsf.free(h);
        }
        tlsf.close();
        region.close();
    }

    private static byte touch(MemorySegment block) {
        return RawMemory.touch(block).get(ValueLayout.JAVA_BYTE, 0);
    }

    /** This library's TLSF free list through its {@code long} handles. */
    @Benchmark
    public byte tlsfFreeThenAllocate() {
        int slot = cursor & (LIVE_BLOCKS - 1);
        long size = SIZES[cursor & (SIZE_TABLE_LENGTH - 1)];
        cursor++;
        tlsf.free(live[slot]);
        long handle = tlsf.allocate(size);
        live[slot] = handle;
        return touch(tlsf.segment(handle));
    }
}
