package dev.offheap.allocator.contract;

import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.region.Region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract run on the test-only reference allocator, proving the harness before the slab and
 * free-list allocators land. Each of those joins the same way, with one subclass.
 */
class SpanHandleAllocatorContractTest extends HandleAllocatorContract {

    @Override
    protected HandleAllocator create() {
        return new SpanHandleAllocator(Region.builder().name("contract").reserve(512L << 20).chunkSize(64 << 10).build());
    }

    @Override
    protected boolean zeroesOnHandOut() {
        return false; // a reused idle chunk keeps its bytes: the reference allocator does not zero
    }

    @Override
    protected void checkAccounting(HandleAllocator allocator, Model model) {
        Region region = ((SpanHandleAllocator) allocator).region();
        int liveBlocks = model.live.size();
        assertTrue(region.usedBytes() >= model.usableBytes(), "used covers the live bytes");
        assertTrue(region.usedBytes() >= liveBlocks * region.chunkBytes(), "a chunk at least per block");
        if (liveBlocks == 0) {
            assertEquals(0, region.usedBytes(), "nothing used when nothing is live");
        }
    }
}
