package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;

/** The {@link HandleAllocatorContract} on the {@code OffHeap}. */
class OffHeapContractTest extends HandleAllocatorContract {

    @Override
    protected HandleAllocator create() {
        return dev.offheap.allocator.facade.OffHeap.builder().name("contract-offheap").reserve(1L << 30).build();
    }

    @Override
    protected long maxTestByteSize() {
        return 2L << 20;
    }
}
