package dev.offheap.allocator.internal;

import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * A set of non-zero {@code long}s without boxing: open addressing with linear probing and
 * backward-shift deletion (no tombstones), so lookups stay short after many removals. Grows by
 * doubling when three quarters full (amortised O(1)); never shrinks.
 *
 * <p>Thread-safety: not thread-safe.
 */
public final class LongHashSet {
    private long[] cells;
    private int size;

    /** Creates an empty set. */
    public LongHashSet() {
        cells = new long[16];
    }

    /** {@return how many values the set holds} */
    public int size() {
        return size;
    }

    /**
     * Adds a value.
     *
     * @param value any value but 0
     * @return whether it was absent
     */
    public boolean add(long value) {
        if (contains(value)) {
            return false;
        }
        if ((size + 1) * 4L > cells.length * 3L) {
            grow();
        }
        insert(cells, value);
        size++;
        return true;
    }

    /**
     * {@return whether the set holds {@code value}}
     *
     * @param value any value
     */
    public boolean contains(long value) {
        int mask = cells.length - 1;
        for (int i = index(value, mask); cells[i] != 0; i = (i + 1) & mask) {
            if (cells[i] == value) {
                return true;
            }
        }
        return false;
    }

    /**
     * Removes a value.
     *
     * @param value any value
     * @return whether it was present
     */
    public boolean remove(long value) {
        int mask = cells.length - 1;
        int i = index(value, mask);
        while (cells[i] != value) {
            if (cells[i] == 0) {
                return false;
            }
            i = (i + 1) & mask;
        }
        // Backward shift: move later members of the probe run into the hole when their home allows.
        int hole = i;
        for (int j = (hole + 1) & mask; cells[j] != 0; j = (j + 1) & mask) {
            int home = index(cells[j], mask);
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                cells[hole] = cells[j];
                hole = j;
            }
        }
        cells[hole] = 0;
        size--;
        return true;
    }

    /**
     * Calls {@code action} with every value, in no particular order; the set may change meanwhile.
     *
     * @param action what to call
     */
    public void forEach(LongConsumer action) {
        for (long v : cells.clone()) {
            if (v != 0) {
                action.accept(v);
            }
        }
    }

    /** Removes every value. */
    public void clear() {
        Arrays.fill(cells, 0);
        size = 0;
    }

    private void grow() {
        long[] bigger = new long[cells.length * 2];
        for (long v : cells) {
            if (v != 0) {
                insert(bigger, v);
            }
        }
        cells = bigger;
    }

    private static void insert(long[] table, long value) {
        int mask = table.length - 1;
        int i = index(value, mask);
        while (table[i] != 0) {
            i = (i + 1) & mask;
        }
        table[i] = value;
    }

    private static int index(long value, int mask) {
        long h = value * 0x9E3779B97F4A7C15L; // Fibonacci hashing spreads the handles' low bits
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
