package dev.offheap.allocator;

/**
 * Layout of a zero-garbage block handle: one {@code long} that names a block, the allocator that
 * made it and the generation it was handed out in.
 *
 * <pre>
 *  63 62  61 60     56 55                        32 31                                  0
 * +--+------+---------+----------------------------+-------------------------------------+
 * |0 | kind |   tag   |         generation         |              location               |
 * +--+------+---------+----------------------------+-------------------------------------+
 *  1  2 bits  5 bits            24 bits                           32 bits
 * </pre>
 * <ul>
 *   <li>bit 63 is always 0: a live handle is positive, and {@link #NULL} (0) is never one;</li>
 *   <li>{@code kind} says which allocator type made the block ({@link #KIND_SLAB},
 *       {@link #KIND_FREE_LIST}, {@link #KIND_LARGE}), so a façade routes a free in O(1);</li>
 *   <li>{@code tag} is the making allocator's identity, in {@code [1, 31]}, given out round-robin
 *       to allocators as they are built ({@link #nextTag()}): a handle of another allocator of the
 *       same kind is refused as foreign by the tag alone while fewer than 32 allocators of that
 *       kind have been built in the process; past that, two allocators share a tag with probability
 *       1/31 and the handle must then also name a live location with the right generation in the
 *       other allocator to be taken for one of its blocks;</li>
 *   <li>{@code generation} is a copy of the block's generation, which the allocator keeps in
 *       out-of-band metadata per location. <b>The one rule every allocator keeps</b>: a location's
 *       generations start at 1 and only ever go up, by one at each free; a handle whose generation
 *       is below the location's current one is stale (a double free or a use after free), one
 *       above it (or 0) was never handed out (foreign). A location whose generation would pass
 *       {@link #MAX_GENERATION} is <em>retired</em> instead: it is never handed out again, so a
 *       stale handle can never name a live block, however long it is kept. The cost is one
 *       block's address range per 2<sup>24</sup> − 1 frees at one location (under 6·10<sup>-8</sup>
 *       of the bytes churned through it), given back to the OS by purge like any free memory;</li>
 *   <li>{@code location} is the allocator's own: for example a slab page and slot, or a block's
 *       offset in 16-byte granules from its region's base (so a region of at most
 *       {@value #MAX_GRANULE_REGION_BYTES} bytes for granule-located allocators).</li>
 * </ul>
 * How a handle that fails the check is classified and reported is written once, in
 * {@code dev.offheap.allocator.internal.HandleCheck}.
 *
 * <p>Thread-safety: stateless, but for the tag counter, which is atomic.
 */
public final class Handles {
    /** The handle that names no block. */
    public static final long NULL = 0L;

    /** Bit position of the kind field. */
    public static final int KIND_SHIFT = 61;
    /** Mask of the kind field, after shifting. */
    public static final int KIND_MASK = 0b11;
    /** A block of the slab allocator. */
    public static final int KIND_SLAB = 1;
    /** A block of the free-list (TLSF) allocator. */
    public static final int KIND_FREE_LIST = 2;
    /** A large block with its own span. */
    public static final int KIND_LARGE = 3;

    /** Bit position of the tag field. */
    public static final int TAG_SHIFT = 56;
    /** Mask of the tag field, after shifting. */
    public static final int TAG_MASK = 0b11111;

    /** Bit position of the generation field. */
    public static final int GENERATION_SHIFT = 32;
    /** Width of the generation field. */
    public static final int GENERATION_BITS = 24;
    /** Mask of the generation field, after shifting. */
    public static final int GENERATION_MASK = (1 << GENERATION_BITS) - 1;
    /** The last generation a location is handed out in; past it the location is retired. */
    public static final int MAX_GENERATION = GENERATION_MASK;
    /** What {@link #nextGeneration(int)} returns for a location that must be retired. */
    public static final int RETIRED = 0;

    /** Width of the location field. */
    public static final int LOCATION_BITS = 32;
    /** Mask of the location field. */
    public static final long LOCATION_MASK = (1L << LOCATION_BITS) - 1;
    /** The largest region a 16-byte-granule location can name: 64 GiB. */
    public static final long MAX_GRANULE_REGION_BYTES = (LOCATION_MASK + 1) << 4;

    private static final java.util.concurrent.atomic.AtomicInteger TAGS = new java.util.concurrent.atomic.AtomicInteger();

    private Handles() {
    }

    /** {@return the next allocator tag, in {@code [1, 31]}, round-robin} */
    public static int nextTag() {
        return Math.floorMod(TAGS.getAndIncrement(), TAG_MASK) + 1;
    }

    /**
     * Packs a handle. The arguments are the allocator's own, already in range.
     *
     * @param kind one of the {@code KIND_} constants
     * @param tag the allocator's tag, in {@code [1, TAG_MASK]}
     * @param generation the block's generation, in {@code [1, MAX_GENERATION]}
     * @param location the allocator's location of the block, in {@code [0, LOCATION_MASK]}
     * @return the handle
     */
    public static long pack(int kind, int tag, int generation, long location) {
        return ((long) kind << KIND_SHIFT) | ((long) tag << TAG_SHIFT) | ((long) generation << GENERATION_SHIFT)
                | location;
    }

    /** {@return the kind field of a handle} */
    public static int kind(long handle) {
        return (int) (handle >>> KIND_SHIFT) & KIND_MASK;
    }

    /** {@return the tag field of a handle} */
    public static int tag(long handle) {
        return (int) (handle >>> TAG_SHIFT) & TAG_MASK;
    }

    /** {@return the generation field of a handle} */
    public static int generation(long handle) {
        return (int) (handle >>> GENERATION_SHIFT) & GENERATION_MASK;
    }

    /** {@return the location field of a handle} */
    public static long location(long handle) {
        return handle & LOCATION_MASK;
    }

    /**
     * {@return whether the handle is positive and carries this kind and tag}: the first, O(1), test
     * of every check; a handle that fails it is foreign.
     */
    public static boolean hasShape(long handle, int kind, int tag) {
        return handle > 0 && (handle >>> TAG_SHIFT) == (((long) kind << 5) | tag);
    }

    /**
     * {@return the generation after {@code generation}, or {@link #RETIRED} when {@code generation}
     * is {@link #MAX_GENERATION}: the location must then never be handed out again}
     */
    public static int nextGeneration(int generation) {
        return generation >= MAX_GENERATION ? RETIRED : generation + 1;
    }

    /** {@return a readable form for messages: {@code 0x…(kind=slab, tag=3, generation=3, location=0x…)}} */
    public static String toString(long handle) {
        String kind = switch (kind(handle)) {
            case KIND_SLAB -> "slab";
            case KIND_FREE_LIST -> "free-list";
            case KIND_LARGE -> "large";
            default -> "unknown(" + kind(handle) + ")";
        };
        return "0x" + Long.toHexString(handle) + "(kind=" + kind + ", tag=" + tag(handle) + ", generation="
                + generation(handle) + ", location=0x" + Long.toHexString(location(handle)) + ")";
    }
}
