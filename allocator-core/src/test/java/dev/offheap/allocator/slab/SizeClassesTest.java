package dev.offheap.allocator.slab;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SizeClassesTest {

    @Test
    void everyRequestGetsTheSmallestClassThatHoldsItWithinTheStatedWaste() {
        for (int n = 1; n <= SizeClasses.MAX_BLOCK_BYTES; n++) {
            int c = SizeClasses.classOf(n);
            int block = SizeClasses.blockBytes(c);
            assertTrue(block >= n, "class too small: n=" + n);
            assertTrue(c == 0 || SizeClasses.blockBytes(c - 1) < n, "not the smallest class: n=" + n);
            assertEquals(0, block % 16, "block not 16-byte aligned: " + block);
            if (n <= 128) {
                assertTrue(block - n <= 15, "waste above 15 bytes: n=" + n);
            } else {
                assertTrue((block - n) * 8L < n, "waste of 12.5 % or more: n=" + n + ", block=" + block);
            }
        }
        assertEquals(16, SizeClasses.blockBytes(0));
        assertEquals(65536, SizeClasses.blockBytes(SizeClasses.COUNT - 1));
        assertEquals(576, SizeClasses.blockBytes(SizeClasses.classOf(524)), "a memcached item of 524 B");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, 65537, Long.MAX_VALUE, Long.MIN_VALUE})
    void aSizeOutsideTheBoundsIsRefusedWithTheBoundsInTheMessage(long size) {
        var e = assertThrows(IllegalArgumentException.class, () -> SizeClasses.classOf(size));
        assertEquals("slab block size must be in [1, 65536]: byteSize=" + size, e.getMessage());
    }

    @Test
    void pagesHoldAtLeastEightBlocksSoTheTailIsUnderAnEighth() {
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            long pageBytes = (long) SegmentDescriptor.unitsPerPage(c) * SegmentDescriptor.UNIT_BYTES;
            long slots = pageBytes / SizeClasses.blockBytes(c);
            assertTrue(slots >= 8 && slots <= 1 << SegmentDescriptor.SLOT_BITS, "class " + c + ": slots=" + slots);
            assertTrue((pageBytes - slots * SizeClasses.blockBytes(c)) * 8 < pageBytes, "tail too large: class " + c);
        }
    }
}
