package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.large.LargeBlockAllocator;

/** The {@link HandleAllocatorContract} on the {@code LargeBlockAllocator}, blocks of several chunks included. */
class LargeBlockContractTest extends HandleAllocatorContract {

    @Override
    protected HandleAllocator create() {
        return LargeBlockAllocator.builder().name("contract-large").reserve(1L << 30).build();
    }

    @Override
    protected long maxTestByteSize() {
        return 5L << 20; // up to three 2 MiB chunks per block
    }
}
