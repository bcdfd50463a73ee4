package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.facade.OffHeap;

/** The {@link HandleAllocatorContract} on the {@code OffHeap}: every range, resize across them included. */
class OffHeapContractTest extends HandleAllocatorContract {

    @Override
    protected HandleAllocator create() {
        return OffHeap.builder().name("contract-offheap").reserve(1L << 30).build();
    }

    @Override
    protected long maxTestByteSize() {
        return 2L << 20;
    }

    @Override
    protected boolean supportsResize() {
        return true;
    }

    @Override
    protected long resize(HandleAllocator allocator, long handle, long newByteSize) {
        return ((OffHeap) allocator).resize(handle, newByteSize);
    }
}
