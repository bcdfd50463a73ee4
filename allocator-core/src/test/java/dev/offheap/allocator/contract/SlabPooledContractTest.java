package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.slab.SlabAllocator;

/**
 * The {@link HandleAllocatorContract} on a {@code SlabAllocator} whose platform threads borrow
 * pooled caches ({@code threadCaches(false)}): {@link SlabContractTest}'s, through the borrow path.
 */
class SlabPooledContractTest extends SlabContractTest {

    @Override
    protected HandleAllocator create() {
        return SlabAllocator.builder().name("contract-slab-pooled").reserve(1L << 30)
                .threadCaches(false).pooledCaches(1).build();
    }
}
