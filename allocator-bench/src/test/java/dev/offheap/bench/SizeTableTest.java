package dev.offheap.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SizeTableTest {

    @Test
    void sameSeedSameSequenceWithinBounds() {
        SizeTable a = new SizeTable(16, 64 << 10, 42);
        SizeTable b = new SizeTable(16, 64 << 10, 42);
        long min = Long.MAX_VALUE;
        long max = 0;
        int small = 0;
        for (int i = 0; i < SizeTable.LENGTH; i++) {
            long size = a.next();
            assertEquals(size, b.next());
            min = Math.min(min, size);
            max = Math.max(max, size);
            small += size <= 1024 ? 1 : 0;
        }
        assertTrue(min >= 16 && max <= 64 << 10, min + ".." + max);
        // log-uniform: 16..1024 is 6 of the 12 doublings, so about half the sizes
        assertTrue(small > SizeTable.LENGTH * 0.4 && small < SizeTable.LENGTH * 0.6, "small=" + small);
    }

    @Test
    void wrapsAtTheEndOfTheTable() {
        SizeTable table = new SizeTable(16, 1024, 7);
        long first = table.next();
        for (int i = 1; i < SizeTable.LENGTH; i++) {
            table.next();
        }
        assertEquals(first, table.next());
    }
}
