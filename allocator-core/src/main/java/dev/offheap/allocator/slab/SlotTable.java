package dev.offheap.allocator.slab;

import java.lang.foreign.MemorySegment;

/**
 * The off-heap metadata of one carving of a page: a state word per slot ({@link SlotState}), then
 * a free-list link per slot, in the mapping of all slot tables ({@link SlotTableMemory}), never the
 * region that holds user blocks, so an overrun of a user block cannot reach it.
 *
 * <pre>
 *  offset 0                          4 * capacity                      6 * capacity
 * +---------+---------+-- … --+------+--------+--------+-- … --+--------+
 * | state 0 | state 1 |       |      | link 0 | link 1 |       |        |
 * +---------+---------+-- … --+------+--------+--------+-- … --+--------+
 *    int (SlotState)                     short: next slot on the owner's list, -1 ends it
 * </pre>
 *
 * <p>A table is recycled between carvings of pages of the same size class (so of the same
 * capacity). It keeps the highest generation any of its slots ever had ({@link #highWater}); the
 * page it is lent to next starts its slots above both that and the page's own high-water, so a
 * stale handle that reaches this memory through an old page can never match a new block's word.
 *
 * <p>Thread-safety: {@link #highWater} is guarded by the page heap's lock; the memory is accessed
 * through {@link Page}'s named methods.
 */
final class SlotTable {
    /** Bytes of metadata per slot: a 4-byte state word and a 2-byte link. */
    static final int BYTES_PER_SLOT = 6;
    /** Java heap of one table object and its segment object, about. */
    static final int HEAP_BYTES = 96;

    final MemorySegment memory;
    final int sizeClass;
    final int capacity;
    final long linksOffset;
    /** Offset of {@link #memory} in {@link SlotTableMemory#ALL}. */
    final long statesAt;
    int highWater;

    SlotTable(MemorySegment memory, int sizeClass, int capacity) {
        this.memory = memory;
        this.sizeClass = sizeClass;
        this.capacity = capacity;
        this.linksOffset = 4L * capacity;
        this.statesAt = memory.address() - SlotTableMemory.ALL.address();
    }
}
