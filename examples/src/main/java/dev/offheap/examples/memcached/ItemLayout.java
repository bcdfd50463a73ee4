package dev.offheap.examples.memcached;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The layout of one stored item's off-heap block: a 48-byte header, the key, then the value
 * followed by the {@code \r\n} that ends it on the wire, so a {@code get} sends the value and its
 * terminator as one view of the block, with no copy.
 * <pre>
 *  0      8      16        24    28     32      36     40        44  45   48      48 + keyLength
 *  +------+------+---------+-----+------+-------+------+---------+---+---+-------+--------------+----+
 *  | next | cas  | deadline| refs| flags| value | hash | linkedAt| k | st| (pad) | key | value  |\r\n|
 *  |      |      |         |     |      | length|      |         |len|   |       |     |        |    |
 *  +------+------+---------+-----+------+-------+------+---------+---+---+-------+--------------+----+
 * </pre>
 * The header is the whole per-item index: the hash chain runs through {@code next} (the handle
 * of the next item in the bucket, 0 at the end), eviction reads the state byte, and nothing per
 * item stays on the Java heap but one bucket slot ({@link ItemTable}). 48 bytes, against the
 * 88-byte heap object an item had before, plus that object's share of the heap's growth.
 *
 * <p>Who writes what: {@code refs} is atomic (any thread, {@link #REFS}); {@code next},
 * {@code cas}, {@code deadline}, {@code linkedAt} and the state byte are written only under the
 * lock of the stripe that holds the item; the other fields are written once, before the item is
 * linked, and never again. {@code linkedAt} is the Unix second as an unsigned int (good until
 * 2106).
 *
 * <p>Thread-safety: stateless.
 */
final class ItemLayout {
    /** The bytes after the value: {@code \r\n}. */
    static final int TRAILER_BYTES = 2;
    /** The longest key memcached accepts. */
    static final int MAX_KEY_BYTES = 250;
    /** Bytes before the key. */
    static final int HEADER_BYTES = 48;
    /** Offset of the key's first byte. */
    static final long KEY_OFFSET = HEADER_BYTES;

    private static final long NEXT = 0;
    private static final long CAS = 8;
    private static final long DEADLINE = 16;
    private static final long REFS_OFFSET = 24;
    private static final long FLAGS = 28;
    private static final long VALUE_LENGTH = 32;
    private static final long HASH = 36;
    private static final long LINKED_AT = 40;
    private static final long KEY_LENGTH = 44;
    private static final long STATE = 45;

    /** State bit: the item is in its stripe's table. */
    static final int LINKED = 1;
    /** State bit: the item was used since the eviction hand last passed it (CLOCK's second chance). */
    static final int REFERENCED = 2;

    /** The reference count, an {@code int} at {@link #REFS_OFFSET}: coordinates {@code (segment, offset)}. */
    private static final VarHandle REFS = ValueLayout.JAVA_INT.varHandle();

    private ItemLayout() {
    }

    /** {@return the bytes of a block holding the header, the key, the value and the trailer} */
    static long blockBytes(int keyLength, long valueLength) {
        return HEADER_BYTES + keyLength + valueLength + TRAILER_BYTES;
    }

    /** {@return the offset of the value's first byte} */
    static long valueOffset(int keyLength) {
        return KEY_OFFSET + keyLength;
    }

    /** Writes the header of a fresh, unlinked item holding one reference. */
    static void initialise(MemorySegment block, int keyLength, int valueLength, int flags, int hash, long deadline) {
        block.set(ValueLayout.JAVA_LONG, NEXT, 0L);
        block.set(ValueLayout.JAVA_LONG, CAS, 0L);
        block.set(ValueLayout.JAVA_LONG, DEADLINE, deadline);
        block.set(ValueLayout.JAVA_INT, FLAGS, flags);
        block.set(ValueLayout.JAVA_INT, VALUE_LENGTH, valueLength);
        block.set(ValueLayout.JAVA_INT, HASH, hash);
        block.set(ValueLayout.JAVA_INT, LINKED_AT, 0);
        block.set(ValueLayout.JAVA_BYTE, KEY_LENGTH, (byte) keyLength);
        block.set(ValueLayout.JAVA_BYTE, STATE, (byte) 0);
        // release: the header before the reference count that other threads read to decide a free
        REFS.setRelease(block, REFS_OFFSET, 1);
    }

    static long next(MemorySegment block) {
        return block.get(ValueLayout.JAVA_LONG, NEXT);
    }

    static void next(MemorySegment block, long handle) {
        block.set(ValueLayout.JAVA_LONG, NEXT, handle);
    }

    static long cas(MemorySegment block) {
        return block.get(ValueLayout.JAVA_LONG, CAS);
    }

    static void cas(MemorySegment block, long cas) {
        block.set(ValueLayout.JAVA_LONG, CAS, cas);
    }

    /** {@return Unix seconds; {@link Expiry#NEVER} or the second at which it expires} */
    static long deadline(MemorySegment block) {
        return block.get(ValueLayout.JAVA_LONG, DEADLINE);
    }

    static void deadline(MemorySegment block, long deadline) {
        block.set(ValueLayout.JAVA_LONG, DEADLINE, deadline);
    }

    static int flags(MemorySegment block) {
        return block.get(ValueLayout.JAVA_INT, FLAGS);
    }

    static int valueLength(MemorySegment block) {
        return block.get(ValueLayout.JAVA_INT, VALUE_LENGTH);
    }

    static int hash(MemorySegment block) {
        return block.get(ValueLayout.JAVA_INT, HASH);
    }

    static int keyLength(MemorySegment block) {
        return Byte.toUnsignedInt(block.get(ValueLayout.JAVA_BYTE, KEY_LENGTH));
    }

    /** {@return the Unix second the item was linked at} */
    static long linkedAt(MemorySegment block) {
        return Integer.toUnsignedLong(block.get(ValueLayout.JAVA_INT, LINKED_AT));
    }

    static void linkedAt(MemorySegment block, long unixSeconds) {
        block.set(ValueLayout.JAVA_INT, LINKED_AT, (int) unixSeconds);
    }

    static boolean is(MemorySegment block, int bit) {
        return (block.get(ValueLayout.JAVA_BYTE, STATE) & bit) != 0;
    }

    static void set(MemorySegment block, int bit, boolean on) {
        int state = block.get(ValueLayout.JAVA_BYTE, STATE);
        block.set(ValueLayout.JAVA_BYTE, STATE, (byte) (on ? state | bit : state & ~bit));
    }

    /** {@return the reference count before adding {@code delta}} Atomic, any thread. */
    static int addRefs(MemorySegment block, int delta) {
        return (int) REFS.getAndAdd(block, REFS_OFFSET, delta);
    }

    /**
     * {@return whether the key in {@code block} equals {@code key[0, keyLength)}} Eight bytes at a
     * time: {@code MemorySegment.mismatch} between a heap and a native segment took 7 % of the
     * server's CPU under memcaslap (its bulk path is made for long ranges; keys are at most 250 B).
     */
    static boolean keyEquals(MemorySegment block, MemorySegment key, int keyLength) {
        if (keyLength(block) != keyLength) {
            return false;
        }
        int i = 0;
        for (; i + Long.BYTES <= keyLength; i += Long.BYTES) {
            if (key.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != block.get(ValueLayout.JAVA_LONG_UNALIGNED, KEY_OFFSET + i)) {
                return false;
            }
        }
        for (; i < keyLength; i++) {
            if (key.get(ValueLayout.JAVA_BYTE, i) != block.get(ValueLayout.JAVA_BYTE, KEY_OFFSET + i)) {
                return false;
            }
        }
        return true;
    }
}
