package dev.offheap.bench.library;

import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.bench.peers.LongBlocks;

/**
 * This library's variant of every workload: an {@link OffHeap} through its public API. A block is
 * its {@code long} handle; its bytes are written through the validated access path
 * ({@link LibraryHooks#writeFirstLast}), as a user would.
 *
 * <p>Thread-safety is the wrapped allocator's.
 */
public final class HandleBlocks implements LongBlocks {
    private final OffHeap allocator;

    /**
     * @param allocator the allocator, owned by this object from now on
     */
    public HandleBlocks(OffHeap allocator) {
        this.allocator = allocator;
    }

    /** {@return the wrapped allocator, for workloads that call it directly (handle-only variants)} */
    public OffHeap allocator() {
        return allocator;
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
        // The block may be longer than asked (a size class): the last byte asked for is written,
        // as every peer does.
        LibraryHooks.writeFirstLast(allocator, handle, byteSize);
        return handle;
    }

    /** {@return the block's address, through its bounded segment (validates the handle)} */
    @Override
    public long address(long block) {
        return allocator.segment(block).address();
    }

    /** Calls {@code OffHeap.trim()}. */
    @Override
    public boolean trim() {
        allocator.trim();
        return true;
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
