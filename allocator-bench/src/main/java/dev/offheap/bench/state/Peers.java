package dev.offheap.bench.state;

import dev.offheap.bench.library.BumpBlocks;
import dev.offheap.bench.library.BumpSegmentBlocks;
import dev.offheap.bench.library.HandleBlocks;
import dev.offheap.bench.peers.ArenaPerBlock;
import dev.offheap.bench.peers.DirectByteBufferBlocks;
import dev.offheap.bench.peers.HeapBlocks;
import dev.offheap.bench.peers.JemallocBlocks;
import dev.offheap.bench.peers.LongLivedArenaBlocks;
import dev.offheap.bench.peers.MallocBlocks;
import dev.offheap.bench.peers.NettyBlocks;
import dev.offheap.bench.peers.SlicingBlocks;
import dev.offheap.bench.peers.UnsafeBlocks;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The JMH states that hold one peer each, shared by every workload. A benchmark method names the
 * one state it needs, so a fork makes only its own peer. Thread-safe peers live in
 * {@link Scope#Benchmark} states (all threads of a run share one allocator, as a service would);
 * confined ones in {@link Scope#Thread} states.
 *
 * <p>Each state is made, set up and torn down by JMH; not for use outside a benchmark.
 */
public final class Peers {
    private Peers() {
    }

    /** This library through {@code HandleAllocator}: one state per allocator name. */
    @State(Scope.Benchmark)
    public static class Library {
        /** Which allocator of this library; see {@code LibraryAllocators.NAMES}. */
        @Param({"offheap"})
        public String library;
        public HandleBlocks blocks;

        @Setup(Level.Trial)
        public void open() {
            blocks = HandleBlocks.open(library);
        }

        @TearDown(Level.Trial)
        public void close() {
            blocks.close();
        }
    }

    /** This library's bump arena (confined, raw address path). */
    @State(Scope.Thread)
    public static class Bump {
        public BumpBlocks blocks;

        @Setup(Level.Trial)
        public void open() {
            blocks = new BumpBlocks();
        }

        @TearDown(Level.Trial)
        public void close() {
            blocks.close();
        }
    }

    /** This library's bump arena (confined, segment path). */
    @State(Scope.Thread)
    public static class BumpSegment {
        public BumpSegmentBlocks blocks;

        @Setup(Level.Trial)
        public void open() {
            blocks = new BumpSegmentBlocks();
        }

        @TearDown(Level.Trial)
        public void close() {
            blocks.close();
        }
    }

    /** The JDK's slicing allocator over a pre-touched window (confined). */
    @State(Scope.Thread)
    public static class Slicing {
        public SlicingBlocks blocks;

        @Setup(Level.Trial)
        public void open() {
            blocks = new SlicingBlocks();
        }

        @TearDown(Level.Trial)
        public void close() {
            blocks.close();
        }
    }

    /** One long-lived confined arena, closed and reopened every window (confined). */
    @State(Scope.Thread)
    public static class LongLivedArena {
        public LongLivedArenaBlocks blocks;

        @Setup(Level.Trial)
        public void open() {
            blocks = new LongLivedArenaBlocks();
        }

        @TearDown(Level.Trial)
        public void close() {
            blocks.close();
        }
    }

    /** {@code Arena.ofConfined()} per block. */
    @State(Scope.Benchmark)
    public static class ConfinedArenaPerBlock {
        public final ArenaPerBlock blocks = ArenaPerBlock.confined();
    }

    /** {@code Arena.ofShared()} per block: the arena-per-block way that allows a free on another thread. */
    @State(Scope.Benchmark)
    public static class SharedArenaPerBlock {
        public final ArenaPerBlock blocks = ArenaPerBlock.shared();
    }

    /** malloc/free through FFM downcalls. */
    @State(Scope.Benchmark)
    public static class Malloc {
        public final MallocBlocks blocks = new MallocBlocks();
    }

    /** jemalloc through LWJGL. */
    @State(Scope.Benchmark)
    public static class Jemalloc {
        public JemallocBlocks blocks;

        @Setup(Level.Trial)
        public void open() {
            blocks = new JemallocBlocks();
        }
    }

    /** {@code Unsafe.allocateMemory/freeMemory}, where the JDK permits it. */
    @State(Scope.Benchmark)
    public static class Unsafe {
        public UnsafeBlocks blocks;

        @Setup(Level.Trial)
        public void open() {
            blocks = new UnsafeBlocks();
        }
    }

    /** {@code ByteBuffer.allocateDirect}, freed through its cleaner. */
    @State(Scope.Benchmark)
    public static class DirectByteBuffer {
        public DirectByteBufferBlocks blocks;

        @Setup(Level.Trial)
        public void open() {
            blocks = new DirectByteBufferBlocks();
        }
    }

    /** Netty's {@code PooledByteBufAllocator}, direct. */
    @State(Scope.Benchmark)
    public static class NettyPooled {
        public NettyBlocks blocks;

        @Setup(Level.Trial)
        public void open() {
            blocks = NettyBlocks.pooled();
        }
    }

    /** Netty's {@code AdaptiveByteBufAllocator}, direct. */
    @State(Scope.Benchmark)
    public static class NettyAdaptive {
        public NettyBlocks blocks;

        @Setup(Level.Trial)
        public void open() {
            blocks = NettyBlocks.adaptive();
        }
    }

    /** {@code new byte[n]}: the GC reference. */
    @State(Scope.Benchmark)
    public static class Heap {
        public final HeapBlocks blocks = new HeapBlocks();
    }
}
