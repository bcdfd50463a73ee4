package dev.offheap.examples.memcached;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One stripe of the store: a chained hash table of {@link Item}s whose chains run through the
 * items themselves (no node objects), and an LRU list through the items too, most recent at the
 * head. Keys are compared against the off-heap block, so no key is kept on the heap.
 *
 * <p>Thread-safety: not thread-safe; {@link ItemStore} calls it under the stripe's lock.
 */
final class ItemTable {
    private static final int INITIAL_BUCKETS = 256;

    private Item[] buckets = new Item[INITIAL_BUCKETS];
    private int count;
    private Item lruHead;
    private Item lruTail;

    /** {@return the linked item with this key, live or not, or null} */
    Item find(MemorySegment key, int keyLength, int hash) {
        for (Item it = buckets[hash & (buckets.length - 1)]; it != null; it = it.hashNext) {
            if (it.hash == hash && it.keyLength == keyLength
                    && MemorySegment.mismatch(key, 0, keyLength, it.raw(), 0, keyLength) < 0) {
                return it;
            }
        }
        return null;
    }

    /** Links {@code item} at the head of the LRU; its key must not be linked already. */
    void link(Item item) {
        if (count >= buckets.length) {
            grow();
        }
        int b = item.hash & (buckets.length - 1);
        item.hashNext = buckets[b];
        buckets[b] = item;
        item.linked = true;
        count++;
        pushHead(item);
    }

    /** Unlinks a linked item from the chains and the LRU; the caller releases the store's reference. */
    void unlink(Item item) {
        int b = item.hash & (buckets.length - 1);
        Item prev = null;
        for (Item it = buckets[b]; it != null; prev = it, it = it.hashNext) {
            if (it == item) {
                if (prev == null) {
                    buckets[b] = it.hashNext;
                } else {
                    prev.hashNext = it.hashNext;
                }
                break;
            }
        }
        item.hashNext = null;
        removeFromLru(item);
        item.linked = false;
        count--;
    }

    /** Moves a linked item to the head of the LRU: it was just used. */
    void touch(Item item) {
        if (lruHead != item) {
            removeFromLru(item);
            pushHead(item);
        }
    }

    /** {@return the least recently used item, or null when empty} */
    Item lruTail() {
        return lruTail;
    }

    /** {@return the items linked} */
    int count() {
        return count;
    }

    /** {@return the hash buckets, for the footprint in stats} */
    int bucketCount() {
        return buckets.length;
    }

    private void pushHead(Item item) {
        item.lruPrev = null;
        item.lruNext = lruHead;
        if (lruHead != null) {
            lruHead.lruPrev = item;
        }
        lruHead = item;
        if (lruTail == null) {
            lruTail = item;
        }
    }

    private void removeFromLru(Item item) {
        if (item.lruPrev != null) {
            item.lruPrev.lruNext = item.lruNext;
        } else {
            lruHead = item.lruNext;
        }
        if (item.lruNext != null) {
            item.lruNext.lruPrev = item.lruPrev;
        } else {
            lruTail = item.lruPrev;
        }
        item.lruPrev = null;
        item.lruNext = null;
    }

    private void grow() {
        Item[] old = buckets;
        Item[] grown = new Item[old.length << 1];
        for (Item head : old) {
            for (Item it = head; it != null; ) {
                Item next = it.hashNext;
                int b = it.hash & (grown.length - 1);
                it.hashNext = grown[b];
                grown[b] = it;
                it = next;
            }
        }
        buckets = grown;
    }

    /** {@return a 32-bit hash of the key's bytes (FNV-1a, then a murmur3 finaliser to spread the bits)} */
    static int hash(MemorySegment key, int keyLength) {
        int h = 0x811c9dc5;
        for (int i = 0; i < keyLength; i++) {
            h = (h ^ key.get(ValueLayout.JAVA_BYTE, i)) * 0x01000193;
        }
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        return h ^ (h >>> 16);
    }
}
