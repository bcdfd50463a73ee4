package dev.offheap.examples.soak;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Writes a block's owner pattern into its first and last words and a few in between, and checks
 * it back: cheap enough for a soak, and any overlap or stray write shows.
 *
 * <p>Thread-safety: stateless.
 */
final class Patterns {
    private Patterns() {
    }

    static void write(MemorySegment block, long tag) {
        long words = block.byteSize() / 8;
        for (long w = 0; w < words; w += Math.max(1, words / 8)) {
            block.set(ValueLayout.JAVA_LONG_UNALIGNED, w * 8, tag ^ w);
        }
        if (words > 0) {
            block.set(ValueLayout.JAVA_LONG_UNALIGNED, (words - 1) * 8, tag ^ (words - 1));
        }
    }

    static boolean holds(MemorySegment block, long tag) {
        long words = block.byteSize() / 8;
        for (long w = 0; w < words; w += Math.max(1, words / 8)) {
            if (block.get(ValueLayout.JAVA_LONG_UNALIGNED, w * 8) != (tag ^ w)) {
                return false;
            }
        }
        return words == 0 || block.get(ValueLayout.JAVA_LONG_UNALIGNED, (words - 1) * 8) == (tag ^ (words - 1));
    }

    static boolean isZero(MemorySegment block) {
        for (long i = 0; i + 8 <= block.byteSize(); i += 8) {
            if (block.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) {
                return false;
            }
        }
        for (long i = block.byteSize() & ~7L; i < block.byteSize(); i++) {
            if (block.get(ValueLayout.JAVA_BYTE, i) != 0) {
                return false;
            }
        }
        return true;
    }
}
