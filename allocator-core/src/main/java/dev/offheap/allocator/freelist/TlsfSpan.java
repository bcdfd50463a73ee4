package dev.offheap.allocator.freelist;

import dev.offheap.allocator.region.Span;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One region span that a {@link TlsfAllocator} carves into blocks, with its out-of-band metadata,
 * all of it off the Java heap in the allocator's metadata arena: the {@link BlockTable} of its
 * blocks, and one generation counter per 4 KiB cell of the span.
 *
 * <h2>Generations</h2>
 * A block's generation is the counter of the cell its first granule lies in, advanced by one when
 * the block is handed out: {@code generation = ++cells[g >>> CELL_SHIFT]}. The counter only goes up,
 * so every block ever started at granule {@code g} has a generation above every earlier one there,
 * whatever blocks were split, coalesced or started elsewhere in the cell in between: a stale handle
 * never matches a live block. (It keeps {@link dev.offheap.allocator.Handles}' rule in its
 * monotonic form: generations at a location start at 1 and only go up; they may go up by more than
 * one between two blocks at the same granule, because the counter is shared by the cell.) When a
 * span goes back to the region each chunk's highest counter is kept by the allocator, and a later
 * span at that chunk starts its cells there. A cell whose counter reaches
 * {@link dev.offheap.allocator.Handles#MAX_GENERATION} is retired: no block starts in it again.
 *
 * <p>Thread-safety: not thread-safe; guarded by its allocator's lock, but for the table's
 * {@link BlockTable#liveRecord lock-free read} and the final fields.
 */
final class TlsfSpan {
    /** log2 of the granules per generation cell: 256 granules, 4 KiB. */
    static final int CELL_SHIFT = 8;
    /** Link value that names no block. */
    static final int NIL = -1;

    final Span span;
    /** Index of this span in its allocator's span table; part of every free-list link. */
    final int slot;
    /** Offset of the span's first byte from the region's base, in granules. */
    final long baseGranule;
    final int granules;
    /** The block records, shared with the spans that held this slot before (then emptied). */
    final BlockTable table;
    /** One {@code int} per cell: the last generation handed out there. */
    final MemorySegment cells;
    /** Granules at and above this index have never been handed out since the span was zeroed. */
    int cleanFrom;
    /** Live blocks in this span. */
    int liveBlocks;
    /** Granules of retired pieces in this span. */
    int retiredGranules;
    /** Whether the span is wholly free and kept as a spare rather than given back. */
    boolean spare;

    TlsfSpan(Span span, int slot, long baseGranule, BlockTable table, MemorySegment cells) {
        this.span = span;
        this.slot = slot;
        this.baseGranule = baseGranule;
        this.granules = Math.toIntExact(span.byteSize() >>> TlsfAllocator.GRANULE_SHIFT);
        this.table = table;
        this.cells = cells;
        this.cleanFrom = span.zeroed() ? 0 : granules;
    }

    /** {@return the cells of a span of {@code granules}} */
    static int cellCount(int granules) {
        return Math.max(1, granules >>> CELL_SHIFT);
    }

    /** {@return the last generation handed out in the cell of granule {@code g}} */
    int cellGeneration(int g) {
        return cells.getAtIndex(ValueLayout.JAVA_INT, g >>> CELL_SHIFT);
    }

    void setCellGeneration(int g, int generation) {
        cells.setAtIndex(ValueLayout.JAVA_INT, g >>> CELL_SHIFT, generation);
    }

    /** {@return the slot of the record of the block starting at {@code g}, or -1} */
    int startSlot(int g) {
        return table.find(BlockTable.startKey(g));
    }

    /** {@return the size in granules of the block (live, free or retired) whose record is at {@code slot}} */
    int sizeAt(int slot) {
        int head = BlockTable.head(table.word0At(slot));
        return (head & BlockTable.LIVE) != 0 ? BlockTable.low(table.word1At(slot)) : head & BlockTable.SIZE_MASK;
    }

    /** {@return the head of the record at {@code slot}} */
    int headAt(int slot) {
        return BlockTable.head(table.word0At(slot));
    }
}
