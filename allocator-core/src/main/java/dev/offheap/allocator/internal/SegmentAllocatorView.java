package dev.offheap.allocator.internal;

import dev.offheap.allocator.HandleAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * A {@link SegmentAllocator} over a {@link HandleAllocator}: each segment is a block of it,
 * bounded to the size asked for, kept until the allocator closes. The allocator calls
 * {@link #freeAll()} first thing in its close, so these blocks are given back, not reported as
 * leaks. (The allocator cannot implement {@code SegmentAllocator} itself: its
 * {@code long allocate(long)} clashes with {@code MemorySegment allocate(long)}.)
 *
 * <p>Thread-safety: thread-safe; a segment allocated while the allocator closes may be reported
 * as a leak of that close.
 */
public final class SegmentAllocatorView implements SegmentAllocator {
    private final HandleAllocator allocator;
    private final long maxAlignment;
    /** The blocks handed out, freed at the allocator's close. Guarded by itself. */
    private final LongHashSet handles = new LongHashSet();

    /**
     * @param allocator the allocator the blocks come from
     * @param maxAlignment the alignment every block of {@code allocator} has
     */
    public SegmentAllocatorView(HandleAllocator allocator, long maxAlignment) {
        this.allocator = allocator;
        this.maxAlignment = maxAlignment;
    }

    /**
     * {@return a segment of {@code byteSize} bytes, a block of the allocator (zeroed if the
     * allocator zeroes), bound to a scope that closes before its memory goes away}
     *
     * @throws IllegalArgumentException if {@code byteSize < 0}, or {@code byteAlignment} is not a
     *         power of two or exceeds the blocks' alignment
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        Checks.checkSizeAndAlignment(byteSize, byteAlignment, maxAlignment);
        long handle = allocator.allocate(Math.max(byteSize, 1));
        synchronized (handles) {
            handles.add(handle);
        }
        return allocator.segment(handle).asSlice(0, byteSize);
    }

    /** Frees every block handed out; for the allocator's close, before it looks for leaks. */
    public void freeAll() {
        LongHashSet taken;
        synchronized (handles) {
            if (handles.size() == 0) {
                return;
            }
            taken = new LongHashSet();
            handles.forEach(taken::add);
            handles.clear();
        }
        taken.forEach(allocator::free);
    }
}
