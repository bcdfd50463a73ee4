package dev.offheap.bench.library;

import dev.offheap.allocator.HandleAllocator;
import dev.offheap.bench.peers.LongBlocks;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * This library's variant of every workload: a {@link HandleAllocator} seen only through its
 * interface. A block is its {@code long} handle; its bytes are written through
 * {@link HandleAllocator#segment}, as a user would.
 *
 * <p>Thread-safety is the wrapped allocator's.
 */
public final class HandleBlocks implements LongBlocks {
    private final HandleAllocator allocator;

    /**
     * @param allocator the allocator, owned by this object from now on
     */
    public HandleBlocks(HandleAllocator allocator) {
        this.allocator = allocator;
    }

    /**
     * Opens {@link LibraryAllocators#open(String) LibraryAllocators.open(name)}.
     *
     * @param name the allocator's name
     * @return a peer over a new allocator
     * @throws UnsupportedOperationException if no allocator of that name is in this build
     */
    public static HandleBlocks open(String name) {
        return new HandleBlocks(LibraryAllocators.open(name));
    }

    @Override
    public long allocate(long byteSize) {
        long handle = allocator.allocate(byteSize);
        // Written through the segment, bounds-checked, as a user would; the segment may be longer
        // than asked (a size class), so the last byte asked for is written, as every peer does.
        MemorySegment block = allocator.segment(handle);
        block.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        block.set(ValueLayout.JAVA_BYTE, byteSize - 1, (byte) 1);
        return handle;
    }

    /** {@return the block's address, through its bounded segment (validates the handle)} */
    @Override
    public long address(long block) {
        return allocator.segment(block).address();
    }

    @Override
    public void free(long block) {
        allocator.free(block);
    }

    @Override
    public void close() {
        allocator.close();
    }
}
