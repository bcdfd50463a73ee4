package dev.offheap.bench.library;

import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.bench.peers.ObjectBlocks;
import dev.offheap.bench.peers.RawMemory;

import java.lang.foreign.MemorySegment;

/**
 * This library's {@link BumpArena} on its segment path ({@code allocate}: a bounded
 * {@code MemorySegment} per block), the like-for-like peer of the JDK's slicing allocator, which
 * also returns a segment. Rewound with {@code reset()} every {@value #WINDOW_BYTES} bytes over memory
 * that is already faulted in; freeing one block is a no-op.
 *
 * <p>Not thread-safe: confined to the thread that made it.
 */
public final class BumpSegmentBlocks implements ObjectBlocks<MemorySegment> {
    /** Bytes allocated before each rewind, as for {@link BumpBlocks}. */
    public static final long WINDOW_BYTES = BumpBlocks.WINDOW_BYTES;

    private final BumpArena arena;

    /** Makes a confined, non-zeroing arena (the slicing allocator does not zero) and faults its window in. */
    public BumpSegmentBlocks() {
        arena = BumpArena.builder().reserve(1L << 30).zeroing(false).build();
        arena.allocate(WINDOW_BYTES, 8);
        arena.reset();
    }

    @Override
    public MemorySegment allocate(long byteSize) {
        if (arena.usedBytes() > WINDOW_BYTES - byteSize - 8) {
            arena.reset();
        }
        return RawMemory.touch(arena.allocate(byteSize, 8));
    }

    @Override
    public void free(MemorySegment block) {
        // A bump arena frees by reset(); the window is rewound when full.
    }

    @Override
    public void close() {
        arena.close();
    }
}
