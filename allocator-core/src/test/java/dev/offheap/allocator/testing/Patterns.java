package dev.offheap.allocator.testing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Fills blocks with a byte pattern and checks it back with one vectorised {@code mismatch}, so the
 * property tests can verify every byte of every live block after every step and stay fast.
 *
 * <p>Thread-safety: thread-safe; the reference segments are written once, in the class
 * initialiser, and only read afterwards.
 */
public final class Patterns {
    /** The longest block that {@link #holds} and {@link #isZero} can check. */
    public static final long MAX_BYTES = 8L << 20;
    private static final int VALUES = 16;
    private static final MemorySegment[] REFERENCE = new MemorySegment[VALUES];

    static {
        for (int v = 0; v < VALUES; v++) {
            REFERENCE[v] = Arena.global().allocate(MAX_BYTES);
            REFERENCE[v].fill((byte) v);
        }
    }

    private Patterns() {
    }

    /** {@return the pattern byte of block number {@code id}: never zero, so zeroing is visible} */
    public static byte of(long id) {
        return (byte) (1 + Math.floorMod(id, VALUES - 1));
    }

    /** Fills the block with the pattern of {@code id}. */
    public static void fill(MemorySegment block, long id) {
        block.fill(of(id));
    }

    /** {@return whether every byte of {@code block} holds the pattern of {@code id}} */
    public static boolean holds(MemorySegment block, long id) {
        return firstMismatch(block, of(id)) < 0;
    }

    /** {@return whether every byte of {@code block} is zero} */
    public static boolean isZero(MemorySegment block) {
        return firstMismatch(block, (byte) 0) < 0;
    }

    private static long firstMismatch(MemorySegment block, byte value) {
        if (block.byteSize() > MAX_BYTES) {
            throw new IllegalArgumentException("block too long to check: byteSize=" + block.byteSize());
        }
        return block.mismatch(REFERENCE[Byte.toUnsignedInt(value)].asSlice(0, block.byteSize()));
    }
}
