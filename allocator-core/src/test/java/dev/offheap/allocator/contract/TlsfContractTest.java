package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;
import net.jqwik.api.Disabled;
import net.jqwik.api.Example;
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

    @Override
    @Example
    @Disabled("owned by the tlsf rewrite: after close the snapshot still shows the blocks live at close "
            + "(liveBlocks, usedBytes, committedBytes not 0), though MeteredAllocator says memory figures read 0 after close")
    void theSnapshotAfterCloseShowsNothingLiveAndEachLeakOnce() {
        super.theSnapshotAfterCloseShowsNothingLiveAndEachLeakOnce();
    }

    @Override
    @Example
    @Disabled("owned by the tlsf rewrite: a segment taken before resize(h, smaller) in place still spans the "
            + "freed tail, and the next allocations land inside it (issue 10, case 4)")
    void aSegmentTakenBeforeAShrinkInPlaceNeverReachesTheNextBlocks() {
        super.aSegmentTakenBeforeAShrinkInPlaceNeverReachesTheNextBlocks();
    }
}
