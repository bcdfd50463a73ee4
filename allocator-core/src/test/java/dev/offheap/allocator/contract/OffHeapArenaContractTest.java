package dev.offheap.allocator.contract;

import dev.offheap.allocator.facade.OffHeap;

import java.lang.foreign.Arena;

/** The {@link ArenaContract} on {@link OffHeap#newArena()}, over an allocator that does not zero. */
class OffHeapArenaContractTest extends ArenaContract {
    private OffHeap memory;

    @Override
    protected Arena open() {
        memory = OffHeap.builder().name("contract-arena").reserve(1L << 30).zeroing(false).build();
        return memory.newArena();
    }

    @Override
    protected void cleanUp() {
        if (memory != null) {
            memory.close();
        }
    }
}
