package dev.offheap.examples.memcached;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * Values a load client can check without remembering them: a header names the key and the
 * version the value was made for, and the bytes after it follow from those two, so any value
 * read back is either exactly one that some client wrote for that key, or wrong.
 *
 * <p>Thread-safety: stateless.
 */
final class ValueCodec {
    /** Key index, version, length: the header every value starts with. */
    static final int HEADER_BYTES = 12;

    private ValueCodec() {
    }

    /** {@return the value for {@code keyIndex} at {@code version}, {@code length} bytes (at least the header)} */
    static byte[] encode(int keyIndex, int version, int length) {
        byte[] value = new byte[Math.max(HEADER_BYTES, length)];
        ByteBuffer.wrap(value).putInt(keyIndex).putInt(version).putInt(value.length);
        fill(value, keyIndex, version);
        return value;
    }

    /** {@return whether {@code value} is exactly what {@link #encode} makes for {@code keyIndex} at its version} */
    static boolean check(int keyIndex, byte[] value) {
        if (value == null || value.length < HEADER_BYTES) {
            return false;
        }
        ByteBuffer header = ByteBuffer.wrap(value);
        if (header.getInt() != keyIndex) {
            return false;
        }
        int version = header.getInt();
        if (header.getInt() != value.length) {
            return false;
        }
        byte[] expected = new byte[value.length];
        fill(expected, keyIndex, version);
        return java.util.Arrays.equals(value, HEADER_BYTES, value.length, expected, HEADER_BYTES, value.length);
    }

    private static void fill(byte[] value, int keyIndex, int version) {
        SplittableRandom random = new SplittableRandom(((long) keyIndex << 32) ^ version);
        for (int i = HEADER_BYTES; i < value.length; i++) {
            value[i] = (byte) random.nextInt(256);
        }
    }
}
