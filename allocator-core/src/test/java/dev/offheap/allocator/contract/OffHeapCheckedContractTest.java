package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;
import net.jqwik.api.Disabled;
import net.jqwik.api.Example;
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
    @Example
    @Disabled("owned by the tlsf rewrite: a segment taken before resize(h, smaller) in place still spans the "
            + "freed tail, and the next allocations land inside it (issue 10, case 4)")
    void aSegmentTakenBeforeAShrinkInPlaceNeverReachesTheNextBlocks() {
        super.aSegmentTakenBeforeAShrinkInPlaceNeverReachesTheNextBlocks();
    }
}
