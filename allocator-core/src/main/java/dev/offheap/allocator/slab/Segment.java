package dev.offheap.allocator.slab;

import dev.offheap.allocator.region.Span;

import java.lang.foreign.MemorySegment;

/**
 * One {@value SegmentDescriptor#SEGMENT_BYTES}-byte span cut into units (see
 * {@link SegmentDescriptor}). Every field is guarded by the allocator's lock.
 */
final class Segment {
    /** Java heap of one segment object and its span, about. */
    static final int HEAP_BYTES = 96;
    /** Index in the allocator's segment table; part of every page id in it. */
    final int index;
    final Span span;
    /** The span's segment: every block's segment is a slice of it and dies with it. */
    final MemorySegment memory;
    /** Bit {@code u} set: unit {@code u} belongs to a page. */
    int usedUnits;
    /** Bit {@code u} set: unit {@code u} has held blocks since the span was lent, so it is not known zero. */
    int touchedUnits;
    /** Bit {@code u} set: unit {@code u} was purged while empty and not carved since (no resident memory). */
    int purgedUnits;

    Segment(int index, Span span) {
        this.index = index;
        this.span = span;
        this.memory = span.segment();
        this.touchedUnits = span.zeroed() ? 0 : -1;
    }

    /** {@return the first unit of a free run of {@code units} units aligned to its length, or -1} */
    int findFreeRun(int units) {
        int runMask = (int) ((1L << units) - 1);
        for (int first = 0; first < SegmentDescriptor.UNITS_PER_SEGMENT; first += units) {
            if ((usedUnits & (runMask << first)) == 0) {
                return first;
            }
        }
        return -1;
    }
}
