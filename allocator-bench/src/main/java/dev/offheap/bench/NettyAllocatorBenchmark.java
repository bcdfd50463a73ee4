package dev.offheap.bench;

import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.netty.OffHeapByteBufAllocator;
import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One direct {@link ByteBuf} allocated, written (a long at each end, as a frame header and trailer
 * would be) and released, on one thread: {@link OffHeapByteBufAllocator} against Netty's pooled
 * allocator (thread caches on for every thread, JMH's threads not being event loops), its adaptive
 * allocator (Netty 4.2's default) and its unpooled one. Netty's leak detection is off in the fork
 * (the adapter's {@code toLeakAwareBuffer} then costs one check); the library's is on its default
 * sampling, as a service would run it.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled",
        "-Xms512m", "-Xmx512m"})
@State(Scope.Thread)
public class NettyAllocatorBenchmark {

    @Param({"64", "4096"})
    public int size;

    /**
     * The adapter over an {@code OffHeap} on its defaults (sampled leak detection), with the
     * {@code OffHeap}'s zeroing on (its default) and off: Netty's allocators do not zero.
     */
    @State(Scope.Benchmark)
    public static class Adapter {
        @Param({"true", "false"})
        public boolean zeroing;
        OffHeap offHeap;
        ByteBufAllocator alloc;

        @Setup(Level.Trial)
        public void open() {
            offHeap = OffHeap.builder().name("bench-netty").reserve(1L << 32).zeroing(zeroing).build();
            alloc = new OffHeapByteBufAllocator(offHeap);
        }

        @TearDown(Level.Trial)
        public void close() {
            offHeap.close();
        }
    }

    /** The adapter keeping released blocks ({@code new OffHeapByteBufAllocator(offHeap, true)}), zeroing off as a server's network buffers run. */
    @State(Scope.Benchmark)
    public static class AdapterKept {
        OffHeap offHeap;
        OffHeapByteBufAllocator alloc;

        @Setup(Level.Trial)
        public void open() {
            offHeap = OffHeap.builder().name("bench-netty-kept").reserve(1L << 32).zeroing(false).build();
            alloc = new OffHeapByteBufAllocator(offHeap, true);
        }

        @TearDown(Level.Trial)
        public void close() {
            alloc.releaseKeptBlocks();
            offHeap.close();
        }
    }

    /** Cycles per invocation of the batched variants: the thread counts as an event loop for the batch. */
    static final int BATCH = 1000;

    @State(Scope.Benchmark)
    public static class Pooled {
        final ByteBufAllocator alloc = new PooledByteBufAllocator(true,
                PooledByteBufAllocator.defaultNumHeapArena(), PooledByteBufAllocator.defaultNumDirectArena(),
                PooledByteBufAllocator.defaultPageSize(), PooledByteBufAllocator.defaultMaxOrder(),
                PooledByteBufAllocator.defaultSmallCacheSize(), PooledByteBufAllocator.defaultNormalCacheSize(), true);
    }

    @State(Scope.Benchmark)
    public static class Adaptive {
        final ByteBufAllocator alloc = new AdaptiveByteBufAllocator(true, true);
    }

    @State(Scope.Benchmark)
    public static class Unpooled {
        final ByteBufAllocator alloc = new UnpooledByteBufAllocator(true);
    }

    private boolean cycle(ByteBufAllocator alloc) {
        ByteBuf buf = alloc.directBuffer(size);
        buf.writeLong(size);
        buf.setLong(size - Long.BYTES, size);
        return buf.release();
    }

    @Benchmark
    public boolean offHeapAdapter(Adapter p) {
        return cycle(p.alloc);
    }

    /**
     * The kept-block path: JMH's thread is not an event loop, so each invocation runs
     * {@value #BATCH} cycles as one ({@code FastThreadLocalThread.runWithFastThreadLocal}, which
     * frees the kept block when the batch ends: one allocation and free per batch).
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int offHeapAdapterKept(AdapterKept p) {
        return batch(p.alloc);
    }

    /** {@link #offHeapAdapterKept}'s batching without keeping, so the two differ only in the kept block. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int offHeapAdapterBatched(Adapter p) {
        return batch(p.alloc);
    }

    /** {@value #BATCH} cycles on a FastThreadLocalThread context, as an event loop runs them. */
    private int batch(ByteBufAllocator alloc) {
        int[] released = new int[1];
        FastThreadLocalThread.runWithFastThreadLocal(() -> {
            for (int i = 0; i < BATCH; i++) {
                released[0] += cycle(alloc) ? 1 : 0;
            }
        });
        return released[0];
    }

    @Benchmark
    public boolean nettyPooled(Pooled p) {
        return cycle(p.alloc);
    }

    @Benchmark
    public boolean nettyAdaptive(Adaptive p) {
        return cycle(p.alloc);
    }

    @Benchmark
    public boolean nettyUnpooled(Unpooled p) {
        return cycle(p.alloc);
    }
}
