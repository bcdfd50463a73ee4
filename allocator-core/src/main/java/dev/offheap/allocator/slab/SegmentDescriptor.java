package dev.offheap.allocator.slab;

/**
 * Layout of a slab segment, and of the {@code location} field of a slab handle. A segment is one
 * {@link dev.offheap.allocator.region.Span span} of {@value #SEGMENT_BYTES} bytes lent by the
 * region; it is cut into {@value #UNITS_PER_SEGMENT} units of {@value #UNIT_BYTES} bytes, and a
 * <em>page</em> is a power-of-two run of units (aligned to its length) that holds blocks of one
 * size class, packed from the page's first byte:
 *
 * <pre>
 *  segment (2 MiB, from Region.acquire)
 *  +----------+----------+----------+----------+---------------------+----------+
 *  | unit 0   | unit 1   | unit 2   | unit 3   |        …            | unit 31  |
 *  | page A   | page B   |     page C (2 units)|                     | (free)   |
 *  +----------+----------+----------+----------+---------------------+----------+
 *   64 KiB each
 *
 *  page (class of 48 B blocks, 1 unit)
 *  +--------+--------+--------+-- … --+--------+-------+
 *  | slot 0 | slot 1 | slot 2 |       | slot N-1| tail |   N = pageBytes / blockBytes
 *  +--------+--------+--------+-- … --+--------+-------+
 * </pre>
 *
 * <p>Nothing but user bytes lives in a segment: the generations, the free-slot stacks, the
 * remote-free links and every other piece of allocator state are in Java arrays beside it (see
 * {@code Page}), so a write past the end of a block can damage only the next block, never the
 * allocator.
 *
 * <p>A page is as many units as it takes to hold at least {@value #MIN_SLOTS_PER_PAGE} blocks, so
 * the tail no block fits in is under 1/8 of the page.
 *
 * <h2>Handle location</h2>
 * <pre>
 *  31                               12 11          0
 * +-----------------------------------+-------------+
 * |  page id = segment * 32 + unit    |    slot     |
 * +-----------------------------------+-------------+
 *            20 bits                      12 bits
 * </pre>
 * {@code segment} is the index of the segment in the allocator's own table (not an address), and
 * {@code unit} is the page's first unit. 12 slot bits hold the 4096 16-byte blocks of one unit.
 *
 * <p>Thread-safety: constants only.
 */
public final class SegmentDescriptor {
    /** Bytes of one segment: one region span. */
    public static final int SEGMENT_BYTES = 2 << 20;
    /** Bytes of one unit, the grain a page is made of. */
    public static final int UNIT_BYTES = 64 << 10;
    /** Units in a segment. */
    public static final int UNITS_PER_SEGMENT = SEGMENT_BYTES / UNIT_BYTES;
    /** log2 of {@link #UNITS_PER_SEGMENT}. */
    public static final int UNIT_INDEX_BITS = 5;
    /** Fewest blocks a page holds; sets the largest page and bounds the tail waste. */
    public static final int MIN_SLOTS_PER_PAGE = 8;
    /** Bits of the slot index in a handle's location. */
    public static final int SLOT_BITS = 12;
    /** Mask of the slot index. */
    public static final int SLOT_MASK = (1 << SLOT_BITS) - 1;
    /** The most pages one allocator can name: 2^20, that is 64 GiB of segments. */
    public static final int MAX_PAGE_IDS = 1 << 20;

    private SegmentDescriptor() {
    }

    /** {@return the units of a page of class {@code sizeClass}: 1, 2, 4 or 8} */
    public static int unitsPerPage(int sizeClass) {
        int units = 1;
        while ((long) units * UNIT_BYTES / SizeClasses.blockBytes(sizeClass) < MIN_SLOTS_PER_PAGE) {
            units <<= 1;
        }
        return units;
    }

    /** {@return the location field of a handle for {@code slot} of page {@code pageId}} */
    public static long location(int pageId, int slot) {
        return ((long) pageId << SLOT_BITS) | slot;
    }

    /** {@return the page id in a location} */
    public static long pageId(long location) {
        return location >>> SLOT_BITS;
    }

    /** {@return the slot index in a location} */
    public static int slot(long location) {
        return (int) location & SLOT_MASK;
    }
}
