package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.freelist.TlsfAllocator;

/** The {@link HandleAllocatorContract} on a checked-mode {@code TlsfAllocator}, resize included. */
class TlsfCheckedContractTest extends HandleAllocatorContract {

    @Override
    protected HandleAllocator create() {
        return TlsfAllocator.builder().name("contract-tlsf-checked").reserve(1L << 30).checked(true).build();
    }

    @Override
    protected long maxTestByteSize() {
        return 64 << 10;
    }

    @Override
    protected boolean supportsResize() {
        return true;
    }

    @Override
    protected long resize(HandleAllocator allocator, long handle, long newByteSize) {
        return ((TlsfAllocator) allocator).resize(handle, newByteSize);
    }

    @Override
    protected boolean usedBytesAreUsableBytes() {
        return false; // a checked block's granules hold its canary too
    }

    @Override
    protected boolean segmentsDieAtFree() {
        return true;
    }
}
