package dev.offheap.allocator.freelist;

import dev.offheap.allocator.region.Span;

/**
 * Out-of-band metadata of one region span that a {@link TlsfAllocator} carves into blocks: per
 * 16-byte granule, a boundary tag, a generation and the free-list links. No metadata lives in the
 * user's bytes, so an overrun of a block cannot corrupt the allocator.
 *
 * <pre>
 *  granule:      g (head)                         g + size - 1 (tail)
 *  tags[]        size | FREE?       (unused)      size | FREE?        (head and tail agree; one cell if size = 1)
 *  generations[] generation | LIVE? (history)     (history)           (only heads of live blocks carry LIVE)
 *  next/prev[]   links, free heads only: (slot &lt;&lt; granuleBits) | granule, or NIL
 * </pre>
 *
 * <p>Thread-safety: not thread-safe; guarded by its allocator's lock.
 */
final class TlsfSpan {
    /** Bit of a tag that marks the block free. */
    static final int FREE = 1 << 31;
    /** Mask of a tag's size field, in granules. */
    static final int SIZE_MASK = ~FREE;
    /** Bit of a generation cell that marks the head of a live block. */
    static final int LIVE = 1 << 30;
    /** Link value that names no block. */
    static final int NIL = -1;

    final Span span;
    /** Index of this span in its allocator's span table; part of every free-list link. */
    final int slot;
    /** Offset of the span's first byte from the region's base, in granules. */
    final long baseGranule;
    final int granules;
    final int[] tags;
    /** Per granule: the generation of the last block that started there, | LIVE while it is live; 0 if none. */
    final int[] generations;
    final int[] next;
    final int[] prev;
    /**
     * Generations of blocks this span's chunks held before (in an earlier span): the first block at
     * a granule continues after it, so a handle from before cannot match a block of now.
     */
    final int generationBase;
    /** The largest generation handed out in this span, to carry into the next span at these chunks. */
    int maxGeneration;
    /** Granules at and above this index have never been handed out since the span was zeroed. */
    int cleanFrom;
    /** Live blocks in this span. */
    int liveBlocks;

    TlsfSpan(Span span, int slot, long baseGranule, int generationBase) {
        this.span = span;
        this.slot = slot;
        this.baseGranule = baseGranule;
        this.granules = Math.toIntExact(span.byteSize() >>> TlsfAllocator.GRANULE_SHIFT);
        this.tags = new int[granules];
        this.generations = new int[granules];
        this.next = new int[granules];
        this.prev = new int[granules];
        this.generationBase = generationBase;
        this.maxGeneration = generationBase;
        this.cleanFrom = span.zeroed() ? 0 : granules;
    }

    /** {@return the address of granule {@code g}} */
    long address(int g) {
        return span.address() + ((long) g << TlsfAllocator.GRANULE_SHIFT);
    }

    /** Writes the boundary tags of a block at its head and its tail. */
    void tag(int g, int size, boolean free) {
        int tag = free ? size | FREE : size;
        tags[g] = tag;
        tags[g + size - 1] = tag;
    }
}
