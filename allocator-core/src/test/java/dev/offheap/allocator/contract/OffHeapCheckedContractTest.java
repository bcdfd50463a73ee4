package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.facade.OffHeap;

/** The {@link HandleAllocatorContract} on a checked-mode {@code OffHeap} (poison, canaries, a scope per block). */
class OffHeapCheckedContractTest extends HandleAllocatorContract {

    @Override
    protected HandleAllocator create() {
        return OffHeap.builder().name("contract-offheap-checked").reserve(1L << 30).checked(true).build();
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

    @Override
    protected boolean usedBytesAreUsableBytes() {
        return false; // a checked block's class holds its canary too
    }

    @Override
    protected boolean segmentsDieAtFree() {
        return true;
    }
}
