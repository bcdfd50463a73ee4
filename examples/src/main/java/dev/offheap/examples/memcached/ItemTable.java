package dev.offheap.examples.memcached;

import dev.offheap.allocator.Handles;
import dev.offheap.allocator.facade.OffHeap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.LongConsumer;
import java.util.function.LongPredicate;

/**
 * One stripe of the store: a chained hash table of item handles whose chains run through the
 * items' off-heap headers ({@link ItemLayout}), so the Java heap holds half a {@code long}
 * bucket per item to one (the table doubles when it holds twice as many items as buckets) and
 * nothing else.
 * Keys are compared against the off-heap block.
 *
 * <p>Eviction is CLOCK (second chance), memcached's LRU approximated without links: a use sets
 * the item's referenced bit; the eviction hand walks the buckets, clears the bits it finds set
 * and takes the first item whose bit is clear. An item used since the hand last passed it is
 * never the victim while an unused one is in the table.
 *
 * <p>Thread-safety: not thread-safe; {@link ItemStore} calls it under the stripe's lock.
 */
final class ItemTable {
    private static final int INITIAL_BUCKETS = 256;
    /**
     * Items per bucket before the table doubles: chains of 1 to 2 items (memcached grows at 1.5),
     * so the heap holds 4 to 8 bytes per item. Every extra link walked is one off-heap header read.
     */
    private static final int MAX_LOAD = 2;

    private final OffHeap memory;
    private long[] buckets = new long[INITIAL_BUCKETS];
    private int count;
    /** The bucket the eviction hand points at. */
    private int hand;

    ItemTable(OffHeap memory) {
        this.memory = memory;
    }

    /** {@return the handle of the linked item with this key, live or not, or {@link Handles#NULL}} */
    long find(MemorySegment key, int keyLength, int hash) {
        for (long h = buckets[hash & (buckets.length - 1)]; h != Handles.NULL; ) {
            MemorySegment block = memory.segment(h);
            if (ItemLayout.hash(block) == hash && ItemLayout.keyEquals(block, key, keyLength)) {
                return h;
            }
            h = ItemLayout.next(block);
        }
        return Handles.NULL;
    }

    /** Links the item in {@code handle} ({@code block} its segment); its key must not be linked already. */
    void link(long handle, MemorySegment block) {
        if (count >= MAX_LOAD * buckets.length) {
            grow();
        }
        int b = ItemLayout.hash(block) & (buckets.length - 1);
        ItemLayout.next(block, buckets[b]);
        buckets[b] = handle;
        ItemLayout.set(block, ItemLayout.LINKED, true);
        ItemLayout.set(block, ItemLayout.REFERENCED, false);
        count++;
    }

    /** Unlinks a linked item; the caller releases the store's reference. */
    void unlink(long handle) {
        MemorySegment block = memory.segment(handle);
        int b = ItemLayout.hash(block) & (buckets.length - 1);
        long prev = Handles.NULL;
        for (long h = buckets[b]; h != Handles.NULL; prev = h, h = ItemLayout.next(memory.segment(h))) {
            if (h == handle) {
                long next = ItemLayout.next(block);
                if (prev == Handles.NULL) {
                    buckets[b] = next;
                } else {
                    ItemLayout.next(memory.segment(prev), next);
                }
                break;
            }
        }
        ItemLayout.next(block, Handles.NULL);
        ItemLayout.set(block, ItemLayout.LINKED, false);
        count--;
    }

    /** Marks a linked item used: the eviction hand passes it over once. */
    void touch(long handle) {
        ItemLayout.set(memory.segment(handle), ItemLayout.REFERENCED, true);
    }

    /**
     * {@return the item to evict next, or {@link Handles#NULL} when the table is empty}
     * Clears the referenced bits it passes; at most two turns of the hand.
     */
    long victim() {
        if (count == 0) {
            return Handles.NULL;
        }
        for (int steps = 0; steps <= 2 * buckets.length; steps++) {
            for (long h = buckets[hand]; h != Handles.NULL; ) {
                MemorySegment block = memory.segment(h);
                if (!ItemLayout.is(block, ItemLayout.REFERENCED)) {
                    return h; // the hand stays: the rest of this chain is looked at next time
                }
                ItemLayout.set(block, ItemLayout.REFERENCED, false);
                h = ItemLayout.next(block);
            }
            hand = (hand + 1) & (buckets.length - 1);
        }
        throw new IllegalStateException("no victim in two turns of the hand: count=" + count);
    }

    /**
     * Unlinks every item {@code doomed} accepts, calling {@code unlinked} after each (which
     * releases the store's reference). For flush_all and shutdown.
     */
    void removeIf(LongPredicate doomed, LongConsumer unlinked) {
        for (int b = 0; b < buckets.length; b++) {
            for (long h = buckets[b]; h != Handles.NULL; ) {
                long next = ItemLayout.next(memory.segment(h));
                if (doomed.test(h)) {
                    unlink(h);
                    unlinked.accept(h);
                }
                h = next;
            }
        }
    }

    /** {@return the items linked} */
    int count() {
        return count;
    }

    private void grow() {
        long[] old = buckets;
        long[] grown = new long[old.length << 1];
        for (long head : old) {
            for (long h = head; h != Handles.NULL; ) {
                MemorySegment block = memory.segment(h);
                long next = ItemLayout.next(block);
                int b = ItemLayout.hash(block) & (grown.length - 1);
                ItemLayout.next(block, grown[b]);
                grown[b] = h;
                h = next;
            }
        }
        buckets = grown;
        hand &= grown.length - 1;
    }

    /**
     * {@return a 32-bit hash of the key's bytes} Eight bytes at a time (a multiply-xorshift round
     * per word, as FNV is per byte), then a murmur3 finaliser to spread the bits. Byte at a time it
     * took 12 % of a cached get's time ({@link ServerPathCpuMain} with 1 000 keys).
     */
    static int hash(MemorySegment key, int keyLength) {
        long h = 0xcbf29ce484222325L ^ keyLength;
        int i = 0;
        for (; i + Long.BYTES <= keyLength; i += Long.BYTES) {
            h = (h ^ key.get(ValueLayout.JAVA_LONG_UNALIGNED, i)) * 0x9E3779B97F4A7C15L;
            h ^= h >>> 29;
        }
        for (; i < keyLength; i++) {
            h = (h ^ key.get(ValueLayout.JAVA_BYTE, i)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) h ^ (int) (h >>> 32);
    }
}
