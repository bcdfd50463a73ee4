package dev.offheap.allocator;

/**
 * Layout of a zero-garbage block handle: one {@code long} that names a block and the generation
 * it was handed out in.
 *
 * <pre>
 *  63   62    60 59                 40 39                                  0
 * +---+---------+---------------------+-------------------------------------+
 * | 0 |  kind   |     generation      |              location               |
 * +---+---------+---------------------+-------------------------------------+
 *   1     3 bits        20 bits                      40 bits
 * </pre>
 * <ul>
 *   <li>bit 63 is always 0: a live handle is positive, and {@link #NULL} (0) is never one;</li>
 *   <li>{@code kind} says which allocator made the block ({@link #KIND_SLAB},
 *       {@link #KIND_FREE_LIST}, {@link #KIND_LARGE}), so a façade routes a free in O(1);</li>
 *   <li>{@code generation} is a copy of the block's generation, which the allocator keeps in
 *       out-of-band metadata and advances on every free: a handle whose generation no longer matches
 *       is stale (a second free, or a use after free), found in O(1). Generations are never 0, so a
 *       zeroed metadata word never matches. After 2<sup>20</sup> − 1 reuses of one block a
 *       generation repeats: a handle kept that long could pass the check, as in every
 *       generation-counter scheme;</li>
 *   <li>{@code location} is the allocator's own: for example a slab page and slot, or a block's
 *       offset in 16-byte granules from its region's base.</li>
 * </ul>
 *
 * <p>Thread-safety: stateless.
 */
public final class Handles {
    /** The handle that names no block. */
    public static final long NULL = 0L;

    /** Bit position of the kind field. */
    public static final int KIND_SHIFT = 60;
    /** Mask of the kind field, after shifting. */
    public static final int KIND_MASK = 0b111;
    /** A block of the slab allocator. */
    public static final int KIND_SLAB = 1;
    /** A block of the free-list (TLSF) allocator. */
    public static final int KIND_FREE_LIST = 2;
    /** A large block with its own span. */
    public static final int KIND_LARGE = 3;

    /** Bit position of the generation field. */
    public static final int GENERATION_SHIFT = 40;
    /** Width of the generation field. */
    public static final int GENERATION_BITS = 20;
    /** Mask of the generation field, after shifting. */
    public static final int GENERATION_MASK = (1 << GENERATION_BITS) - 1;
    /** Mask of the location field. */
    public static final long LOCATION_MASK = (1L << GENERATION_SHIFT) - 1;

    private Handles() {
    }

    /**
     * Packs a handle. The arguments are the allocator's own, already in range.
     *
     * @param kind one of the {@code KIND_} constants
     * @param generation the block's generation, in {@code [1, GENERATION_MASK]}
     * @param location the allocator's location of the block, in {@code [0, LOCATION_MASK]}
     * @return the handle
     */
    public static long pack(int kind, int generation, long location) {
        return ((long) kind << KIND_SHIFT) | ((long) generation << GENERATION_SHIFT) | location;
    }

    /** {@return the kind field of a handle} */
    public static int kind(long handle) {
        return (int) (handle >>> KIND_SHIFT) & KIND_MASK;
    }

    /** {@return the generation field of a handle} */
    public static int generation(long handle) {
        return (int) (handle >>> GENERATION_SHIFT) & GENERATION_MASK;
    }

    /** {@return the location field of a handle} */
    public static long location(long handle) {
        return handle & LOCATION_MASK;
    }

    /** {@return the generation after {@code generation}: wraps from the largest to 1, never 0} */
    public static int nextGeneration(int generation) {
        return generation >= GENERATION_MASK ? 1 : generation + 1;
    }

    /** {@return a readable form for messages: {@code 0x…(kind=slab, generation=3, location=0x…)}} */
    public static String toString(long handle) {
        String kind = switch (kind(handle)) {
            case KIND_SLAB -> "slab";
            case KIND_FREE_LIST -> "free-list";
            case KIND_LARGE -> "large";
            default -> "unknown(" + kind(handle) + ")";
        };
        return "0x" + Long.toHexString(handle) + "(kind=" + kind + ", generation=" + generation(handle)
                + ", location=0x" + Long.toHexString(location(handle)) + ")";
    }
}
