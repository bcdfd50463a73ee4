package dev.offheap.bench;

import dev.offheap.bench.peers.RawMemory;
import dev.offheap.allocator.ownership.BlockAllocator;
import dev.offheap.allocator.ownership.LeakDetection;
import dev.offheap.allocator.ownership.MemoryBlock;
import dev.offheap.allocator.slab.SlabAllocator;
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
import java.util.concurrent.TimeUnit;

/**
 * Slab allocation and free of one block on one thread, through each way this library offers. Every
 * variant does the same work: allocate {@code size} bytes, write the first and the last byte, free.
 * The peers (malloc/free through FFM, Netty's pooled direct buffers) are added beside these so one
 * run measures all of them.
 *
 * <ul>
 *   <li>{@code longHandle}: {@code allocate} / {@code segment} / {@code free}: the zero-garbage path,
 *       if the JIT scalar-replaces the slice (watch {@code gc.alloc.rate.norm});</li>
 *   <li>{@code longHandleAddress}: the raw path: the block's address, written through one segment
 *       made at set-up;</li>
 *   <li>{@code memoryBlock*}: the object handle, with each leak detection level;</li>
 *   <li>{@code checked*}: the same over a slab in checked mode (poison, canary, arena per block).</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class SlabAllocateBenchmark {

    @Param({"64", "1024"})
    public long size;

    private SlabAllocator slab;
    private SlabAllocator checkedSlab;
    private BlockAllocator blocksDisabled;
    private BlockAllocator blocksSampled;
    private BlockAllocator blocksParanoid;
    private BlockAllocator blocksChecked;
    /** Every address, for the raw path: bounds are the allocator's business there. */
    private MemorySegment everything;

    @Setup(Level.Trial)
    public void setUp() {
        slab = SlabAllocator.builder().name("bench").reserve(1L << 30).build();
        checkedSlab = SlabAllocator.builder().name("bench-checked").reserve(1L << 30).checked(true).build();
        blocksDisabled = BlockAllocator.over(slab).leakDetection(LeakDetection.DISABLED).build();
        blocksSampled = BlockAllocator.over(slab).leakDetection(LeakDetection.SAMPLED).build();
        blocksParanoid = BlockAllocator.over(slab).leakDetection(LeakDetection.PARANOID).build();
        blocksChecked = BlockAllocator.over(checkedSlab).leakDetection(LeakDetection.DISABLED).build();
        everything = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        slab.close();
        checkedSlab.close();
    }


    private static byte touchAndClose(MemoryBlock block) {
        try (block) {
            return RawMemory.touch(block.segment()).get(ValueLayout.JAVA_BYTE, 0);
        }
    }

    private long allocateTouchFree(SlabAllocator allocator) {
        long h = allocator.allocate(size);
        RawMemory.touch(allocator.segment(h));
        allocator.free(h);
        return h;
    }

    /** The long handle with a segment per block. */
    @Benchmark
    public long longHandle() {
        return allocateTouchFree(slab);
    }

    /** The long handle, raw: the address written through one segment of every address. */
    @Benchmark
    public long longHandleAddress() {
        long h = slab.allocate(size);
        long address = slab.address(h);
        everything.set(ValueLayout.JAVA_BYTE, address, (byte) 1);
        everything.set(ValueLayout.JAVA_BYTE, address + size - 1, (byte) 1);
        slab.free(h);
        return h;
    }

    /** The object handle, leak detection off. */
    @Benchmark
    public byte memoryBlockLeakDisabled() {
        return touchAndClose(blocksDisabled.allocate(size));
    }

    /** The object handle, one block in 128 watched by the Cleaner (the default). */
    @Benchmark
    public byte memoryBlockLeakSampled() {
        return touchAndClose(blocksSampled.allocate(size));
    }

    /** The object handle, every block watched, with its allocation stack. */
    @Benchmark
    public byte memoryBlockLeakParanoid() {
        return touchAndClose(blocksParanoid.allocate(size));
    }

    /** The long handle over a slab in checked mode. */
    @Benchmark
    public long checkedLongHandle() {
        return allocateTouchFree(checkedSlab);
    }

    /** The object handle over a slab in checked mode. */
    @Benchmark
    public byte checkedMemoryBlock() {
        return touchAndClose(blocksChecked.allocate(size));
    }
}
