package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.freelist.TlsfAllocator;

/** The {@link HandleAllocatorContract} on the {@code TlsfAllocator}, resize included. */
class TlsfContractTest extends HandleAllocatorContract {

    @Override
    protected HandleAllocator create() {
        return TlsfAllocator.builder().name("contract-tlsf").reserve(1L << 30).build();
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
}
