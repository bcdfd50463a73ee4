package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.slab.SlabAllocator;

/** The {@link HandleAllocatorContract} on a checked-mode {@code SlabAllocator}. */
class SlabCheckedContractTest extends HandleAllocatorContract {

    @Override
    protected HandleAllocator create() {
        return SlabAllocator.builder().name("contract-slab-checked").reserve(1L << 30).checked(true).build();
    }

    @Override
    protected long maxTestByteSize() {
        return SlabAllocator.MAX_CHECKED_REQUEST; // 32 KiB less the canary
    }

    @Override
    protected boolean usedBytesAreUsableBytes() {
        return false; // a checked block's class holds its canary too
    }

    @Override
    protected boolean segmentsDieAtFree() {
        return true;
    }
}
