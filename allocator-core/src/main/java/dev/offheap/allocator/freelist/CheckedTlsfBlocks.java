package dev.offheap.allocator.freelist;

import dev.offheap.allocator.HeapCorruptionException;
import dev.offheap.allocator.internal.BlockChecks;
import dev.offheap.allocator.internal.Zeroing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * The free list's checked mode: every free byte of a span held is poison (spans are poisoned when
 * taken from the region, blocks when freed, and nothing is purged), so a block about to be handed
 * out is verified whole; a canary follows the bytes asked for and is checked on free; each live
 * block's segment is bound to a scope of its own, closed on free, so a segment kept after free
 * throws {@link IllegalStateException}.
 *
 * <p>Thread-safety: not thread-safe; every method runs under the allocator's lock. On the Java
 * heap (a map entry, an arena and a segment per live block): a debugging mode.
 */
final class CheckedTlsfBlocks {
    private record Block(Arena scope, MemorySegment segment) {
    }

    private final String allocator;
    private final Map<Long, Block> live = new HashMap<>();
    private long corruptions;

    CheckedTlsfBlocks(String allocator) {
        this.allocator = allocator;
    }

    /** Poisons a span just taken from the region: its every byte is free. */
    static void poisonSpan(MemorySegment span) {
        BlockChecks.poison(span, 0, span.byteSize());
    }

    /**
     * {@return the write after free found in a block about to be handed out, or null} The block's
     * bytes are poison again afterwards, so the caller can free it back and carry on.
     */
    HeapCorruptionException verifyFree(MemorySegment span, long offset, long blockBytes) {
        long changed = BlockChecks.firstNotPoisoned(span, offset, blockBytes);
        if (changed < 0) {
            return null;
        }
        BlockChecks.poison(span, offset, blockBytes);
        corruptions++;
        return BlockChecks.writeAfterFree(span, offset, blockBytes, changed, allocator, null);
    }

    /**
     * Makes a verified block live: zeroes the bytes asked for, writes the canary after them, binds
     * them to a new scope.
     */
    void open(long handle, MemorySegment span, long offset, long blockBytes, long requested) {
        Zeroing.zero(span, offset, requested);
        BlockChecks.writeCanary(span, offset + requested, blockBytes - requested);
        Arena scope = Arena.ofShared();
        // A slice of the span's segment rebound to the block's scope: bounded to the bytes asked
        // for. The allocator closes the scope before the region can unmap (Region#beforeUnmap).
        live.put(handle, new Block(scope, span.asSlice(offset, requested).reinterpret(scope, null)));
    }

    /** {@return the segment of a live block, bounded to the bytes asked for} */
    MemorySegment segment(long handle) {
        return live.get(handle).segment();
    }

    /** {@return the bytes asked for of a live block} */
    long requested(long handle) {
        return live.get(handle).segment().byteSize();
    }

    /**
     * Ends a live block before its granules go back to the free lists: closes its scope (first: it
     * throws if a native call uses the block right now, and nothing has changed then), checks its
     * canary, poisons it.
     *
     * @return the overrun found, or null
     */
    HeapCorruptionException close(long handle, MemorySegment span, long offset, long blockBytes) {
        Block block = live.get(handle);
        block.scope().close();
        live.remove(handle);
        long requested = block.segment().byteSize();
        long changed = BlockChecks.firstCanaryChanged(span, offset + requested, blockBytes - requested);
        BlockChecks.poison(span, offset, blockBytes);
        if (changed < 0) {
            return null;
        }
        corruptions++;
        return BlockChecks.overrun(handle, span, offset, requested, changed, allocator, null);
    }

    /** Closes the scope of every block still live (at the allocator's or the region's close). Idempotent. */
    void closeAll() {
        for (Block block : live.values()) {
            if (block.scope().scope().isAlive()) {
                block.scope().close();
            }
        }
        live.clear();
    }

    /** {@return write-after-free and overrun corruptions found so far} */
    long corruptions() {
        return corruptions;
    }
}
