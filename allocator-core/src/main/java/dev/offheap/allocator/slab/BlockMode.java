package dev.offheap.allocator.slab;

import dev.offheap.allocator.HeapCorruptionException;

import java.lang.foreign.MemorySegment;

/**
 * What happens to a block's bytes and segment when it is handed out and freed: the one place the
 * slab differs between its plain mode ({@link PlainBlocks}) and checked mode ({@link CheckedBlocks}),
 * so the allocate and free paths have no {@code if (checked)} of their own.
 *
 * <p>Thread-safety: implementations are called by the thread that holds the slot (the page's owner
 * handing it out, or the freer that won it); they keep no state of their own but counters.
 */
abstract sealed class BlockMode permits PlainBlocks, CheckedBlocks {
    /** Bytes added to a request before its size class is chosen (the canary in checked mode). */
    final int extraBytes;
    /** Whether a refill zeroes the blocks it links ({@link Page#refill}): plain mode with zeroing on. */
    final boolean zeroOnRefill;

    BlockMode(int extraBytes, boolean zeroOnRefill) {
        this.extraBytes = extraBytes;
        this.zeroOnRefill = zeroOnRefill;
    }

    /**
     * Prepares a slot just taken off a free list for a block of {@code byteSize} bytes: (plain)
     * records its site if sites are tracked, its bytes already zeroed by the refill; (checked)
     * verifies its poison, zeroes it, writes the canary and opens its scope.
     *
     * @throws HeapCorruptionException (checked) if the free block was written; the slot has then
     *         been re-poisoned and put back on the owner-free list
     */
    abstract void prepare(Page page, int slot, long byteSize);

    /** The owner's free: moves the state word from {@code live} to {@code freed}; false if it was not live. */
    abstract boolean ownerFree(Page page, int slot, int live, int freed);

    /** {@return the overrun found on free, or null}; runs before the block's state changes */
    abstract HeapCorruptionException checkOnFree(Page page, int slot, long handle);

    /** After a free won the slot: (checked) close the block's scope and poison it. */
    abstract void afterFree(Page page, int slot);

    /** {@return a segment of the live block in {@code slot}} */
    abstract MemorySegment segment(Page page, int slot);

    /** {@return the bytes of the live block in {@code slot} a caller may use} */
    abstract long usableBytes(Page page, int slot);

    /** A page was carved: set up per-slot data; (checked) poison its blocks. Under the heap's lock. */
    abstract void onCarve(Page page);

    /** {@return where the block in {@code slot} was allocated, or null if untracked} */
    abstract Throwable site(Page page, int slot);

    /** At close: (checked) closes the scope of a block still live, so its segment throws. */
    abstract void closeLive(Page page, int slot);

    /** {@return corruptions found so far (write after free, overrun)} */
    abstract long corruptions();
}
