package dev.offheap.allocator.freelist;

import dev.offheap.allocator.internal.MetadataMemory;
import dev.offheap.allocator.region.Span;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The out-of-band records of the blocks of one TLSF span: an open-addressing hash table (linear
 * probing, backward-shift deletion, no tombstones) off the Java heap, in memory its allocator maps
 * for metadata only ({@link MetadataMemory}), away from every user block: an overrun of a block
 * cannot reach it. Each storage is a span of its own, at least one OS page; a storage replaced by
 * growth or by a reset is retired at once, its scope closed (a handshake with every thread, about
 * 0.3 ms, under the allocator's lock: rare, since the smallest storage holds 160 records and a
 * default 2 MiB span of the façade's blocks, over 64 KiB, holds at most 31 live ones), so a
 * lock-free reader still on it throws, which {@link #liveRecord} reports as a miss, instead of
 * reading what the chunks hold when they are lent again. It holds one record per block start (live, free or retired) and one per free block's last
 * granule (the boundary tag that coalescing with a left neighbour needs), so it grows with the
 * number of blocks, never with the bytes of the span.
 *
 * <pre>
 *  entry (16 bytes, two longs)
 *   word0:  63            32 31                              0
 *          +----------------+--------------------------------+
 *          |      key       |              head              |
 *          +----------------+--------------------------------+
 *           key:  0 empty; g + 1 for the block starting at granule g; (g + 1) | TAIL_KEY for the
 *                 free block ending at g
 *           head: live  LIVE | generation (24 bits)
 *                 free  FREE | size in granules
 *                 retired RETIRED | size in granules (never handed out again)
 *                 tail  the free block's first granule
 *   word1: live  size in granules (low 32) | usable granules (high 32)
 *          free  next free link (low 32) | previous free link (high 32)
 * </pre>
 *
 * <p>Thread-safety: written only under the allocator's lock; {@link #liveRecord} may be called by
 * any thread without it. The protocol that keeps a lock-free read from accepting a record that was
 * not live: a key's live word0 carries the block's generation, which no other block at that key ever
 * has; a slot is rewritten as {@code word0 := 0} (release), {@code word1 := …} (release),
 * {@code word0 := …} (release); the reader reads word0, word1 and word0 again (acquire) and accepts
 * only if both word0 reads are the live word0 it wants. A live record's word1 never changes without
 * its word0 changing first. Misses during a concurrent move are possible: the caller then asks again
 * under the lock. A replaced storage (grown, or reset when its span went back to the region) is
 * never written again and its scope is closed: a reader still on it reads a frozen, once-true state
 * or throws, never another table's records.
 */
final class BlockTable {
    /** Bytes of one entry. */
    static final int ENTRY_BYTES = 16;
    /** Key bit of a free block's tail record. */
    static final int TAIL_KEY = 1 << 30;
    /** Head bit of a live block's start record; the low 24 bits are its generation. */
    static final int LIVE = 1 << 31;
    /** Head bit of a free block's start record; the low bits are its size. */
    static final int FREE = 1 << 30;
    /** Head bit of a retired piece's start record; the low bits are its size. */
    static final int RETIRED = 1 << 29;
    /** Mask of a head's size field. */
    static final int SIZE_MASK = RETIRED - 1;
    /** The smallest capacity, in entries: one 4 KiB page. */
    static final int MIN_CAPACITY = 256;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    /** One storage generation: its span (null for the warm-up's), segment and mask, published together. */
    private record Storage(Span span, MemorySegment entries, int mask, int shift) {
    }

    private final MetadataMemory memory;
    private volatile Storage storage;
    /** Entries in use. Guarded by the allocator's lock. */
    private int count;

    /** @param memory the allocator's metadata memory, which lends the storages; used under the allocator's lock */
    BlockTable(MetadataMemory memory) {
        this.memory = memory;
        this.storage = newStorage(MIN_CAPACITY);
    }

    private BlockTable(Storage storage) {
        this.memory = null;
        this.storage = storage;
    }

    /**
     * Touches the access paths once, so their setup happens at build, not on a first allocate: on a
     * heap segment, which links the same var handle as the native storages.
     */
    static void warmUp() {
        BlockTable t = new BlockTable(storage(null, MemorySegment.ofArray(new long[2 * MIN_CAPACITY]), MIN_CAPACITY));
        t.put(startKey(0), FREE | 1, 0);
        t.liveRecord(startKey(0), LIVE | 1);
        t.remove(startKey(0));
    }

    private Storage newStorage(int capacity) {
        Span span = memory.lend((long) capacity * ENTRY_BYTES); // zeroed: all empty
        return storage(span, span.segment(), (int) (span.byteSize() / ENTRY_BYTES));
    }

    private static Storage storage(Span span, MemorySegment entries, int capacity) {
        return new Storage(span, entries, capacity - 1, 64 - Integer.numberOfTrailingZeros(capacity));
    }

    /** Publishes {@code s} in place of the storage in use, then retires the old one. */
    private void replaceStorage(Storage s) {
        Storage old = storage;
        storage = s; // volatile: publishes the filled storage; the old one is never written again
        memory.retire(old.span); // readers still on it throw from now on: a miss, asked again under the lock
    }

    /** {@return the key of the block starting at granule {@code g}} */
    static int startKey(int g) {
        return g + 1;
    }

    /** {@return the key of the free block whose last granule is {@code g}} */
    static int tailKey(int g) {
        return (g + 1) | TAIL_KEY;
    }

    static long word0(int key, int head) {
        return ((long) key << 32) | (head & 0xFFFF_FFFFL);
    }

    static int head(long word0) {
        return (int) word0;
    }

    /** {@return word1 of a live record} */
    static long liveWord1(int size, int usable) {
        return (size & 0xFFFF_FFFFL) | ((long) usable << 32);
    }

    /** {@return word1 of a free record} */
    static long freeWord1(int next, int prev) {
        return (next & 0xFFFF_FFFFL) | ((long) prev << 32);
    }

    static int low(long word1) {
        return (int) word1;
    }

    static int high(long word1) {
        return (int) (word1 >>> 32);
    }

    private static int home(Storage s, int key) {
        return (int) ((key * 0x9E37_79B9_7F4A_7C15L) >>> s.shift);
    }

    // ---------------------------------------------------------------- lock-free read

    /**
     * {@return word1 of the record whose word0 is {@code word0(key, liveHead)}, or -1 if none was
     * seen}; lock-free. A -1 may be a miss during a concurrent change: ask again under the lock.
     */
    long liveRecord(int key, int liveHead) {
        Storage s = storage;
        long want = word0(key, liveHead);
        MemorySegment e = s.entries;
        int i = home(s, key);
        try {
            for (int probes = 0; probes <= s.mask; probes++, i = (i + 1) & s.mask) {
                long offset = (long) i * ENTRY_BYTES;
                long w0 = (long) LONG.getAcquire(e, offset);
                if (w0 == 0) {
                    return -1;
                }
                if (w0 == want) {
                    long w1 = (long) LONG.getAcquire(e, offset + 8);
                    return (long) LONG.getAcquire(e, offset) == want ? w1 : -1;
                }
            }
        } catch (IllegalStateException retired) {
            // The storage was replaced and retired under this read, or the allocator closed.
        }
        return -1;
    }

    // ---------------------------------------------------------------- under the allocator's lock

    /** {@return the slot of {@code key}, or -1}; valid until the next {@link #put} or {@link #remove} */
    int find(int key) {
        Storage s = storage;
        MemorySegment e = s.entries;
        for (int i = home(s, key); ; i = (i + 1) & s.mask) {
            long w0 = (long) LONG.get(e, (long) i * ENTRY_BYTES);
            if (w0 == 0) {
                return -1;
            }
            if ((int) (w0 >>> 32) == key) {
                return i;
            }
        }
    }

    long word0At(int slot) {
        return (long) LONG.get(storage.entries, (long) slot * ENTRY_BYTES);
    }

    long word1At(int slot) {
        return (long) LONG.get(storage.entries, (long) slot * ENTRY_BYTES + 8);
    }

    /** Sets word1 of a record that is not live (free-list links): no reader looks at it. */
    void setFreeWord1(int slot, long word1) {
        LONG.setRelease(storage.entries, (long) slot * ENTRY_BYTES + 8, word1);
    }

    /** Inserts or rewrites the record of {@code key}. */
    void put(int key, int head, long word1) {
        int slot = find(key);
        if (slot < 0) {
            if ((count + 1) * 8L > (storage.mask + 1) * 5L) { // load factor at most 5/8
                grow();
            }
            Storage s = storage;
            slot = home(s, key);
            while ((long) LONG.get(s.entries, (long) slot * ENTRY_BYTES) != 0) {
                slot = (slot + 1) & s.mask;
            }
            count++;
        }
        write(storage.entries, slot, word0(key, head), word1);
    }

    /** Rewrites the record at {@code slot}, which holds {@code key} now, without a look-up. */
    void rewrite(int slot, int key, int head, long word1) {
        write(storage.entries, slot, word0(key, head), word1);
    }

    /** Removes the record of {@code key}, which must be present. */
    void remove(int key) {
        int i = find(key);
        if (i < 0) {
            throw new IllegalStateException("TLSF metadata: no record to remove: key=0x" + Integer.toHexString(key));
        }
        Storage s = storage;
        MemorySegment e = s.entries;
        int j = i;
        while (true) {
            j = (j + 1) & s.mask;
            long w0 = (long) LONG.get(e, (long) j * ENTRY_BYTES);
            if (w0 == 0) {
                break;
            }
            int k = home(s, (int) (w0 >>> 32));
            // The record at j may move back to i if i lies on its probe path, from its home k to j.
            if (((j - k) & s.mask) >= ((j - i) & s.mask)) {
                write(e, i, w0, (long) LONG.get(e, (long) j * ENTRY_BYTES + 8));
                i = j;
            }
        }
        LONG.setRelease(e, (long) i * ENTRY_BYTES, 0L); // publishes: the key is gone
        count--;
    }

    /** Rewrites one slot so that no reader pairs the old word0 with the new word1. */
    private static void write(MemorySegment e, int slot, long w0, long w1) {
        long offset = (long) slot * ENTRY_BYTES;
        LONG.setRelease(e, offset, 0L);      // publishes: the slot holds no record for now
        LONG.setRelease(e, offset + 8, w1);  // publishes: the payload, before the key that names it
        LONG.setRelease(e, offset, w0);      // publishes: the record
    }

    private void grow() {
        Storage old = storage;
        Storage s = newStorage((old.mask + 1) * 2);
        for (int i = 0; i <= old.mask; i++) {
            long w0 = (long) LONG.get(old.entries, (long) i * ENTRY_BYTES);
            if (w0 != 0) {
                int slot = home(s, (int) (w0 >>> 32));
                while ((long) LONG.get(s.entries, (long) slot * ENTRY_BYTES) != 0) {
                    slot = (slot + 1) & s.mask;
                }
                LONG.set(s.entries, (long) slot * ENTRY_BYTES + 8, (long) LONG.get(old.entries, (long) i * ENTRY_BYTES + 8));
                LONG.set(s.entries, (long) slot * ENTRY_BYTES, w0);
            }
        }
        replaceStorage(s);
    }

    /**
     * Drops the storage of an empty table for a smallest one, when its span went back to the region:
     * a table sized for a burst of small blocks does not stay that size for the slot's next span.
     */
    void shrinkIfEmpty() {
        if (count == 0 && storage.mask + 1 > MIN_CAPACITY) {
            replaceStorage(newStorage(MIN_CAPACITY));
        }
    }

    /** {@return records in use} */
    int count() {
        return count;
    }

    /** {@return off-heap bytes of the storage in use (replaced ones are retired at once)} */
    long offHeapBytes() {
        return storage.entries.byteSize();
    }
}
