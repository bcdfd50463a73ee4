package dev.offheap.allocator.slab;

import dev.offheap.allocator.Handles;
import dev.offheap.allocator.HeapCorruptionException;
import dev.offheap.allocator.internal.BlockChecks;
import dev.offheap.allocator.internal.Zeroing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checked mode: free blocks are poisoned and verified when handed out again, every block has a
 * canary after the bytes asked for, checked on free, and each block's segment is bound to a scope
 * of its own that closes on free (and at the allocator's close), so a segment kept after free throws
 * {@link IllegalStateException} from the JVM. The owner's free is a CAS here, as a remote free is:
 * of two racing frees of one block exactly one wins, and only the winner closes the scope and
 * poisons, so a loser can never close or poison the block handed out next in that slot.
 */
final class CheckedBlocks extends BlockMode {
    static final String POISON_BYTE_HEX = "0xDE";

    private final String allocator;
    private final AtomicLong corruptions = new AtomicLong();

    CheckedBlocks(String allocator) {
        super(BlockChecks.CANARY_BYTES, false); // zeroes in prepare, after it verified the poison
        this.allocator = allocator;
    }

    @Override
    void prepare(Page page, int slot, long byteSize) {
        MemorySegment memory = page.memory;
        long offset = page.blockOffset(slot);
        int blockBytes = page.blockBytes;
        CheckedSlots c = page.checked;
        long changed = BlockChecks.firstNotPoisoned(memory, offset, blockBytes);
        if (changed >= 0) {
            BlockChecks.poison(memory, offset, blockBytes); // re-poison: the slot stays free and usable
            page.pushLocal(slot);
            corruptions.incrementAndGet();
            throw BlockChecks.writeAfterFree(memory, offset, blockBytes, changed, allocator, c.sites[slot]);
        }
        int requested = (int) byteSize;
        Zeroing.zero(memory, offset, requested);
        BlockChecks.writeCanary(memory, offset + requested, blockBytes - requested);
        Arena scope = Arena.ofShared();
        c.requested[slot] = requested;
        c.scopes[slot] = scope;
        // A slice of the span's segment, rebound to the block's own scope: bounded to the block.
        c.segments[slot] = memory.asSlice(offset, requested).reinterpret(scope, null);
        c.sites[slot] = PlainBlocks.site(byteSize, allocator);
    }

    @Override
    boolean ownerFree(Page page, int slot, int live, int freed) {
        return page.casState(slot, live, freed);
    }

    @Override
    HeapCorruptionException checkOnFree(Page page, int slot, long handle) {
        CheckedSlots c = page.checked;
        MemorySegment memory = page.memory;
        long offset = page.blockOffset(slot);
        int requested = c.requested[slot];
        long changed = BlockChecks.firstCanaryChanged(memory, offset + requested, page.blockBytes - requested);
        if (changed < 0) {
            return null;
        }
        corruptions.incrementAndGet();
        return BlockChecks.overrun(handle, memory, offset, requested, changed, allocator, c.sites[slot]);
    }

    @Override
    void afterFree(Page page, int slot) {
        CheckedSlots c = page.checked;
        Arena scope = c.scopes[slot];
        c.scopes[slot] = null;
        c.segments[slot] = null;
        if (scope != null) {
            scope.close(); // every segment of this block throws IllegalStateException from now on
        }
        BlockChecks.poison(page.memory, page.blockOffset(slot), page.blockBytes);
    }

    @Override
    MemorySegment segment(Page page, int slot) {
        return page.checked.segments[slot];
    }

    @Override
    long usableBytes(Page page, int slot) {
        return page.checked.requested[slot];
    }

    @Override
    void onCarve(Page page) {
        page.checked = new CheckedSlots(page.capacity, true, true);
        page.fresh = 0;
        BlockChecks.poison(page.memory, page.offset, (long) page.capacity * page.blockBytes);
    }

    @Override
    Throwable site(Page page, int slot) {
        CheckedSlots c = page.checked;
        return c == null || slot >= c.sites.length ? null : c.sites[slot];
    }

    @Override
    void closeLive(Page page, int slot) {
        Arena scope = page.checked.scopes[slot];
        if (scope != null) {
            page.checked.scopes[slot] = null;
            scope.close();
        }
    }

    @Override
    long corruptions() {
        return corruptions.get();
    }
}
