package dev.offheap.examples.memcached;

/**
 * The layout of one stored item's off-heap block: the key, then the value followed by the
 * {@code \r\n} that ends it on the wire, so a {@code get} sends the value and its terminator as one
 * view of the block, with no copy.
 * <pre>
 *  0            keyLength                       keyLength + valueLength + 2
 *  +------------+-------------------------------+----+
 *  | key bytes  | value bytes                   | \r\n|
 *  +------------+-------------------------------+----+
 * </pre>
 * Flags, expiry and the cas unique live in the {@link Item} on the heap: they change without the
 * block moving, and lookups compare them before touching off-heap memory.
 *
 * <p>Thread-safety: stateless.
 */
final class ItemLayout {
    /** The bytes after the value: {@code \r\n}. */
    static final int TRAILER_BYTES = 2;
    /** The longest key memcached accepts. */
    static final int MAX_KEY_BYTES = 250;

    private ItemLayout() {
    }

    /** {@return the bytes of a block holding the key, the value and the trailer} */
    static long blockBytes(int keyLength, long valueLength) {
        return keyLength + valueLength + TRAILER_BYTES;
    }

    /** {@return the offset of the value's first byte} */
    static long valueOffset(int keyLength) {
        return keyLength;
    }
}
