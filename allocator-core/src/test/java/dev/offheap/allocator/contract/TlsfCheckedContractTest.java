package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.freelist.TlsfAllocator;

/** The {@link HandleAllocatorContract} on a checked-mode {@code TlsfAllocator}: {@link TlsfContractTest}'s, checked. */
class TlsfCheckedContractTest extends TlsfContractTest {

    @Override
    protected HandleAllocator create() {
        return TlsfAllocator.builder().name("contract-tlsf-checked").reserve(1L << 30).checked(true).build();
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
