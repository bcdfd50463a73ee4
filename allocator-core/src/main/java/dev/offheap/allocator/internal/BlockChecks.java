package dev.offheap.allocator.internal;

import dev.offheap.allocator.Handles;
import dev.offheap.allocator.HeapCorruptionException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The byte patterns of checked mode, shared by every allocator that offers it: poison written over
 * freed blocks and verified before reuse, canaries written after the bytes asked for and verified
 * on free.
 *
 * <p>Thread-safety: stateless; the caller owns the bytes it passes.
 */
public final class BlockChecks {
    /** Written over every byte of a freed block. */
    public static final byte POISON = (byte) 0xDE;
    /** Written after the bytes asked for, up to the end of the block. */
    public static final byte CANARY = (byte) 0xCA;
    /** The least number of canary bytes after a block in checked mode. */
    public static final int CANARY_BYTES = 8;
    private static final long POISON_LONG = 0xDEDEDEDEDEDEDEDEL;

    private BlockChecks() {
    }

    /** Fills {@code [offset, offset + bytes)} of {@code memory} with {@link #POISON}. */
    public static void poison(MemorySegment memory, long offset, long bytes) {
        memory.asSlice(offset, bytes).fill(POISON);
    }

    /**
     * {@return the first byte of {@code [offset, offset + bytes)} that is not poison, relative to
     * {@code offset}, or -1 if all are} {@code bytes} is a multiple of 8 and {@code offset} 8-aligned.
     */
    public static long firstNotPoisoned(MemorySegment memory, long offset, long bytes) {
        for (long i = 0; i < bytes; i += Long.BYTES) {
            long word = memory.get(ValueLayout.JAVA_LONG, offset + i);
            if (word != POISON_LONG) {
                for (int b = 0; b < Long.BYTES; b++) {
                    if (memory.get(ValueLayout.JAVA_BYTE, offset + i + b) != POISON) {
                        return i + b;
                    }
                }
            }
        }
        return -1;
    }

    /** Fills {@code [offset, offset + bytes)} of {@code memory} with {@link #CANARY}. */
    public static void writeCanary(MemorySegment memory, long offset, long bytes) {
        memory.asSlice(offset, bytes).fill(CANARY);
    }

    /**
     * {@return the first byte of {@code [offset, offset + bytes)} that is not the canary, relative
     * to {@code offset}, or -1 if none}
     */
    public static long firstCanaryChanged(MemorySegment memory, long offset, long bytes) {
        for (long i = 0; i < bytes; i++) {
            if (memory.get(ValueLayout.JAVA_BYTE, offset + i) != CANARY) {
                return i;
            }
        }
        return -1;
    }

    /**
     * {@return the report of a freed block found changed when it was about to be handed out again}
     *
     * @param memory the segment holding the block
     * @param offset the block's first byte in {@code memory}
     * @param blockBytes the block's bytes, all of which were poisoned
     * @param changed the first byte found changed, from the block's start
     * @param allocator the allocator's name
     * @param site where the block's last owner allocated it, or null if untracked
     */
    public static HeapCorruptionException writeAfterFree(MemorySegment memory, long offset, long blockBytes,
                                                         long changed, String allocator, Throwable site) {
        return new HeapCorruptionException("write after free: freed block changed at byte " + changed
                + " (poison 0xDE expected): address=0x" + Long.toHexString(memory.address() + offset)
                + ", blockBytes=" + blockBytes + ", allocator=" + allocator
                + (site == null ? "" : ", last allocation site attached"), site);
    }

    /**
     * {@return the report of a canary found changed when its block was freed}
     *
     * @param handle the block's handle
     * @param memory the segment holding the block
     * @param offset the block's first byte in {@code memory}
     * @param requested the bytes asked for, after which the canary starts
     * @param changed the first canary byte found changed, from the canary's start
     * @param allocator the allocator's name
     * @param site where the block was allocated, or null if untracked
     */
    public static HeapCorruptionException overrun(long handle, MemorySegment memory, long offset, long requested,
                                                  long changed, String allocator, Throwable site) {
        return new HeapCorruptionException("buffer overrun: canary after the block overwritten at byte "
                + (requested + changed) + ": handle=" + Handles.toString(handle) + ", address=0x"
                + Long.toHexString(memory.address() + offset) + ", byteSize=" + requested
                + ", allocator=" + allocator, site);
    }
}
