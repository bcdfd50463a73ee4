package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.large.LargeBlockAllocator;

/** The {@link HandleAllocatorContract} on a checked-mode {@code LargeBlockAllocator}: {@link LargeBlockContractTest}'s, checked. */
class LargeBlockCheckedContractTest extends LargeBlockContractTest {

    @Override
    protected HandleAllocator create() {
        return LargeBlockAllocator.builder().name("contract-large-checked").reserve(1L << 30).checked(true).build();
    }

    @Override
    protected boolean usedBytesAreUsableBytes() {
        return false; // a checked block's span holds its canary too
    }

    @Override
    protected boolean segmentsDieAtFree() {
        return true;
    }
}
