package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;

/** The {@link HandleAllocatorContract} on the {@code SlabAllocator}. */
class SlabContractTest extends HandleAllocatorContract {

    @Override
    protected HandleAllocator create() {
        return dev.offheap.allocator.slab.SlabAllocator.builder().name("contract-slab").reserve(1L << 30).build();
    }

    @Override
    protected long maxTestByteSize() {
        return 32 << 10;
    }
}
