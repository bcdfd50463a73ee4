package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;

/** The {@link HandleAllocatorContract} on the {@code LargeBlockAllocator}. */
class LargeBlockContractTest extends HandleAllocatorContract {

    @Override
    protected HandleAllocator create() {
        return dev.offheap.allocator.large.LargeBlockAllocator.builder().name("contract-large").reserve(1L << 30).build();
    }

    @Override
    protected long maxTestByteSize() {
        return 64 << 10;
    }
}
