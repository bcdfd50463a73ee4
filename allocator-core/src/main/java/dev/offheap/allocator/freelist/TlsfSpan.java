package dev.offheap.allocator.freelist;

import dev.offheap.allocator.region.Span;

/**
 * Out-of-band metadata of one region span that a {@link TlsfAllocator} carves into blocks: per
 * 16-byte granule, a boundary tag, a generation and the free-list links. No metadata lives in the
 * user's bytes, so an overrun of a block cannot corrupt the allocator.
 *
 * <pre>
 *  granule:      g (head)                         g + size - 1 (tail)
 *  tag           size | FREE?       (unused)      size | FREE?        (head and tail agree; one cell if size = 1)
 *  generation    generation | LIVE? (history)     (history)           (only heads of live blocks carry LIVE)
 *  next, prev    links, free heads only: (slot &lt;&lt; granuleBits) | granule, or NIL
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
    /**
     * Per granule g: {@code meta[2g]} the boundary tag, {@code meta[2g+1]} the generation of the
     * last block that started there, | LIVE while it is live, 0 if none. Interleaved so that a
     * block's tag and generation share a cache line.
     */
    final int[] meta;
    /** Per granule g: {@code links[2g]} the next free block, {@code links[2g+1]} the previous one. */
    final int[] links;
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
    /** Whether the span is wholly free and kept as a spare rather than given back. */
    boolean spare;

    TlsfSpan(Span span, int slot, long baseGranule, int generationBase) {
        this.span = span;
        this.slot = slot;
        this.baseGranule = baseGranule;
        this.granules = Math.toIntExact(span.byteSize() >>> TlsfAllocator.GRANULE_SHIFT);
        this.meta = new int[2 * granules];
        this.links = new int[2 * granules];
        this.generationBase = generationBase;
        this.maxGeneration = generationBase;
        this.cleanFrom = span.zeroed() ? 0 : granules;
    }

    /** {@return the address of granule {@code g}} */
    long address(int g) {
        return span.address() + ((long) g << TlsfAllocator.GRANULE_SHIFT);
    }

    /** {@return the boundary tag of granule {@code g}} */
    int tagAt(int g) {
        return meta[g << 1];
    }

    /** {@return the generation cell of granule {@code g}} */
    int generationAt(int g) {
        return meta[g << 1 | 1];
    }

    /** {@return the next free block's link, at a free head} */
    int nextAt(int g) {
        return links[g << 1];
    }

    /** {@return the previous free block's link, at a free head} */
    int prevAt(int g) {
        return links[g << 1 | 1];
    }

    /** Writes the boundary tags of a block at its head and its tail. */
    void tag(int g, int size, boolean free) {
        int tag = free ? size | FREE : size;
        meta[g << 1] = tag;
        meta[(g + size - 1) << 1] = tag;
    }
}
