package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;

/** The {@link HandleAllocatorContract} on the {@code TlsfAllocator}. */
class TlsfContractTest extends HandleAllocatorContract {

    @Override
    protected HandleAllocator create() {
        return dev.offheap.allocator.freelist.TlsfAllocator.builder().name("contract-tlsf").reserve(1L << 30).build();
    }

    @Override
    protected long maxTestByteSize() {
        return 64 << 10;
    }
}
