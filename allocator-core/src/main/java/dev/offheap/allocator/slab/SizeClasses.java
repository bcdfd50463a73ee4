package dev.offheap.allocator.slab;

/**
 * The slab's size classes: 80 block sizes from {@value #MIN_BLOCK_BYTES} B to
 * {@value #MAX_BLOCK_BYTES} B, every one a multiple of 16 (so every block is 16-byte aligned).
 *
 * <pre>
 *   16  32  48  64  80  96  112 128                        (step 16: the 16 B quantum)
 *   144 160 … 256 | 288 320 … 512 | 576 640 … 1024 | … | 57344 61440 65536
 *                     (above 128 B: eight classes per doubling, as tcmalloc spaces its classes)
 * </pre>
 * Eight rather than jemalloc's four: a service whose values cluster just above a class edge
 * (a 524-byte memcached item: key, 512 B value, trailer) would otherwise lose up to a quarter
 * of each block; the cost is more partly filled pages, one per class and thread at most.
 *
 * <p>Up to 64 KiB, as mimalloc's medium pages reach 128 KiB: the 32–64 KiB requests took the
 * free list's locked path at about 250 ns an allocate + free against 80 ns here (docs/slab.md).
 *
 * <h2>Internal waste, worst case</h2>
 * A request of {@code n} bytes gets the smallest class {@code c >= n}.
 * <ul>
 *   <li>{@code n <= 128}: at most 15 bytes are wasted (the 16-byte quantum that alignment needs
 *       anyway): {@code c - n <= 15}.</li>
 *   <li>{@code n > 128}: classes eight to a doubling are {@code g} apart where {@code g} is an
 *       eighth of the doubling's start, so {@code c - n < g <= n / 8}: less than 12.5 % of the
 *       request, and less than 11.2 % of the block.</li>
 * </ul>
 * Pages add a tail that no block fits in; {@link SegmentDescriptor} bounds it at 1/8 of the page.
 *
 * <p>Thread-safety: stateless; the lookup table is built once and never written again.
 */
public final class SizeClasses {
    /** The smallest block. */
    public static final int MIN_BLOCK_BYTES = 16;
    /** The largest block, and the largest request the slab serves. */
    public static final int MAX_BLOCK_BYTES = 64 * 1024;
    /** How many classes there are. */
    public static final int COUNT = 80;
    /** Classes per doubling above 128 B. */
    private static final int PER_DOUBLING = 8;

    private static final int QUANTUM_SHIFT = 4;
    private static final int[] BLOCK_BYTES = new int[COUNT];
    /** Class index of every request size, in 16-byte granules rounded up: index {@code (n + 15) >> 4}. */
    private static final byte[] CLASS_OF_GRANULES = new byte[(MAX_BLOCK_BYTES >> QUANTUM_SHIFT) + 1];

    static {
        int c = 0;
        for (int size = 16; size <= 128; size += 16) {
            BLOCK_BYTES[c++] = size;
        }
        for (int base = 128; base < MAX_BLOCK_BYTES; base <<= 1) {
            int step = base / PER_DOUBLING;
            for (int i = 1; i <= PER_DOUBLING; i++) {
                BLOCK_BYTES[c++] = base + i * step;
            }
        }
        if (c != COUNT || BLOCK_BYTES[COUNT - 1] != MAX_BLOCK_BYTES) {
            throw new AssertionError("size class table: count=" + c);
        }
        int cls = 0;
        for (int granules = 1; granules < CLASS_OF_GRANULES.length; granules++) {
            while (BLOCK_BYTES[cls] < granules << QUANTUM_SHIFT) {
                cls++;
            }
            CLASS_OF_GRANULES[granules] = (byte) cls;
        }
    }

    private SizeClasses() {
    }

    /**
     * {@return the index of the smallest class that holds {@code byteSize} bytes}
     *
     * @param byteSize the request, in {@code [1, MAX_BLOCK_BYTES]}
     * @throws IllegalArgumentException if {@code byteSize} is outside {@code [1, MAX_BLOCK_BYTES]}
     */
    public static int classOf(long byteSize) {
        if (byteSize < 1 || byteSize > MAX_BLOCK_BYTES) {
            throw new IllegalArgumentException("slab block size must be in [1, " + MAX_BLOCK_BYTES
                    + "]: byteSize=" + byteSize);
        }
        return CLASS_OF_GRANULES[(int) ((byteSize + 15) >>> QUANTUM_SHIFT)];
    }

    /**
     * {@return the block size of a class}
     *
     * @param sizeClass a class index in {@code [0, COUNT)}
     */
    public static int blockBytes(int sizeClass) {
        return BLOCK_BYTES[sizeClass];
    }
}
