package dev.offheap.bench;

import dev.offheap.bench.peers.RawMemory;
import dev.offheap.allocator.bump.BumpArena;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * Bump allocation of small blocks against the JDK's own ways to get the same bytes. Every variant
 * does the same work: allocate {@code size} bytes aligned to 8, write the first and the last byte.
 * The bump arena and the slicing allocator rewind every {@value #WINDOW_BYTES} bytes over memory
 * that is already faulted in, so no figure includes a page fault.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class BumpAllocateBenchmark {
    /** Bytes allocated before each variant rewinds: 16 MiB. */
    static final long WINDOW_BYTES = 16L << 20;

    @Param({"64"})
    public long size;

    private BumpArena bump;
    /** The bump arena's first span as one segment, to write through on the raw path. */
    private MemorySegment bumpWindow;
    private Arena slicingBacking;
    private MemorySegment slicingWindow;
    private SegmentAllocator slicing;
    private long slicingUsed;

    @Setup(Level.Trial)
    public void setUp() {
        bump = BumpArena.builder().reserve(1L << 30).zeroing(true).build();
        bumpWindow = bump.allocate(WINDOW_BYTES, 8); // its span is taken and faulted in now, not in the loop
        bump.reset();
        slicingBacking = Arena.ofConfined();
        slicingWindow = slicingBacking.allocate(WINDOW_BYTES + 4096, 4096);
        slicingWindow.fill((byte) 0); // faults every page in
        slicing = SegmentAllocator.slicingAllocator(slicingWindow);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        bump.close();
        slicingBacking.close();
    }


    /** This library: a segment bounded to the block. */
    @Benchmark
    public MemorySegment bumpArena() {
        if (bump.usedBytes() > WINDOW_BYTES - size) {
            bump.reset();
        }
        return RawMemory.touch(bump.allocate(size, 8));
    }

    /** This library's raw path: the address only, no object; bytes written through the window. */
    @Benchmark
    public long bumpArenaAddress() {
        if (bump.usedBytes() > WINDOW_BYTES - size) {
            bump.reset();
        }
        long address = bump.allocateAddress(size, 8);
        long offset = address - bumpWindow.address();
        bumpWindow.set(ValueLayout.JAVA_BYTE, offset, (byte) 1);
        bumpWindow.set(ValueLayout.JAVA_BYTE, offset + size - 1, (byte) 1);
        return address;
    }

    /** The JDK's slicing allocator over a pre-touched segment. */
    @Benchmark
    public MemorySegment slicingAllocator() {
        if (slicingUsed > WINDOW_BYTES - size) {
            slicing = SegmentAllocator.slicingAllocator(slicingWindow);
            slicingUsed = 0;
        }
        slicingUsed += size;
        return RawMemory.touch(slicing.allocate(size, 8));
    }

    /** A confined arena per allocation: what code does that wants a scope per block. */
    @Benchmark
    public byte arenaOfConfinedPerAllocation() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment block = RawMemory.touch(arena.allocate(size, 8));
            return block.get(ValueLayout.JAVA_BYTE, 0);
        }
    }
}
