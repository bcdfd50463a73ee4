package dev.offheap.bench;

import java.util.SplittableRandom;

/**
 * A pre-generated table of block sizes drawn log-uniformly between two bounds with a fixed seed, so
 * every variant and every run sees the same sequence and no random number is drawn in a measured
 * loop. Log-uniform: each power-of-two band gets the same share, so small blocks are as common as
 * in real services and large ones still appear.
 *
 * <p>Not thread-safe: one table per thread (the cursor moves).
 */
public final class SizeTable {
    /** Entries in a table: a power of two, so the cursor wraps with a mask. */
    public static final int LENGTH = 1 << 12;

    private final long[] sizes = new long[LENGTH];
    private int cursor;

    /**
     * @param minBytes the smallest size, at least 1
     * @param maxBytes the largest size, at least {@code minBytes}
     * @param seed     the seed; the same seed gives the same table
     */
    public SizeTable(long minBytes, long maxBytes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double logMin = Math.log(minBytes);
        double logMax = Math.log(maxBytes);
        for (int i = 0; i < LENGTH; i++) {
            long size = Math.round(Math.exp(logMin + random.nextDouble() * (logMax - logMin)));
            sizes[i] = Math.clamp(size, minBytes, maxBytes);
        }
    }

    /** {@return the next size, wrapping at the end of the table} */
    public long next() {
        long size = sizes[cursor];
        cursor = (cursor + 1) & (LENGTH - 1);
        return size;
    }

    /** {@return the mean size of the table, in bytes} */
    public double meanBytes() {
        long sum = 0;
        for (long size : sizes) {
            sum += size;
        }
        return (double) sum / LENGTH;
    }
}
