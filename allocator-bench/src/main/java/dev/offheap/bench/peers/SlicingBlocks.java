package dev.offheap.bench.peers;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * The JDK's {@link SegmentAllocator#slicingAllocator} over one pre-touched segment: the JDK's bump
 * allocator, the peer of this library's {@code BumpArena}. It rewinds when the window is used up;
 * freeing one block is a no-op.
 *
 * <p>Not thread-safe: confined to the thread that made it. Only for workloads whose live set stays
 * well under the window.
 */
public final class SlicingBlocks implements ObjectBlocks<MemorySegment> {
    /** The window: 64 MiB, faulted in when the peer is made. */
    public static final long WINDOW_BYTES = 64L << 20;

    private final Arena backing = Arena.ofConfined();
    private final MemorySegment window = backing.allocate(WINDOW_BYTES, 4096);
    private SegmentAllocator slicing;
    private long used;

    /** Allocates the window and writes every byte of it, so no page fault lands in a figure. */
    public SlicingBlocks() {
        window.fill((byte) 0);
        slicing = SegmentAllocator.slicingAllocator(window);
    }

    @Override
    public MemorySegment allocate(long byteSize) {
        // Blocks are 8-aligned: round the count up so the window never overflows.
        long step = (byteSize + 7) & ~7L;
        if (used + step > WINDOW_BYTES) {
            slicing = SegmentAllocator.slicingAllocator(window);
            used = 0;
        }
        used += step;
        return RawMemory.touch(slicing.allocate(byteSize, 8));
    }

    @Override
    public void free(MemorySegment block) {
        // A slicing allocator frees nothing; the window is rewound when full.
    }

    @Override
    public void close() {
        backing.close();
    }
}
