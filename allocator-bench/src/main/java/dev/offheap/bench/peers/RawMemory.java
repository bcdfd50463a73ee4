package dev.offheap.bench.peers;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Writes to raw native addresses through one segment that spans the whole address space, so that
 * touching a block named by a {@code long} makes no garbage.
 *
 * <p>Stateless and thread-safe. Restricted: needs native access ({@code --enable-native-access}).
 */
public final class RawMemory {
    /** Every address; bounds are the caller's business (the addresses come from an allocator). */
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private RawMemory() {
    }

    /**
     * Writes the first and the last byte of the block at {@code address}.
     *
     * @param address  the block's first byte
     * @param byteSize the block's size, at least 1
     */
    public static void touch(long address, long byteSize) {
        EVERYTHING.set(ValueLayout.JAVA_BYTE, address, (byte) 1);
        EVERYTHING.set(ValueLayout.JAVA_BYTE, address + byteSize - 1, (byte) 1);
    }

    /**
     * Writes the first and the last byte of {@code block}.
     *
     * @param block the block, at least one byte long
     * @return {@code block}
     */
    public static MemorySegment touch(MemorySegment block) {
        block.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        block.set(ValueLayout.JAVA_BYTE, block.byteSize() - 1, (byte) 1);
        return block;
    }
}
