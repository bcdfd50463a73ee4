package dev.offheap.allocator.freelist;

import dev.offheap.allocator.internal.MetadataMemory;
import dev.offheap.allocator.testing.ForkedJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TLSF's block table keeps its storages in mapped metadata memory and retires a replaced one,
 * so a lock-free reader still on it misses instead of reading another table's records.
 */
@Timeout(120)
class BlockTableTest {
    private static final long PAGE = 4096;

    private static MetadataMemory newMemory() {
        return new MetadataMemory("block-table-test", 256L << 20, PAGE, 64 << 10, 0);
    }

    @Test
    void aGrownTableKeepsEveryRecordAndItsOldStorageIsGivenBack() {
        try (MetadataMemory memory = newMemory()) {
            BlockTable table = new BlockTable(memory);
            assertEquals(BlockTable.MIN_CAPACITY * BlockTable.ENTRY_BYTES, memory.lentBytes(), "one page to start");
            int records = 2_000;
            for (int g = 0; g < records; g++) {
                table.put(BlockTable.startKey(g), BlockTable.LIVE | (g & 0xFF_FFFF), BlockTable.liveWord1(g + 1, g + 2));
            }
            for (int g = 0; g < records; g++) {
                long w1 = table.liveRecord(BlockTable.startKey(g), BlockTable.LIVE | (g & 0xFF_FFFF));
                assertEquals(BlockTable.liveWord1(g + 1, g + 2), w1, "record of granule " + g);
            }
            assertEquals(-1, table.liveRecord(BlockTable.startKey(records), BlockTable.LIVE));
            assertTrue(table.offHeapBytes() >= records * BlockTable.ENTRY_BYTES * 8L / 5, "room for the records");
            assertEquals(table.offHeapBytes(), memory.lentBytes(), "only the storage in use is lent: the grown-out ones were retired");
            for (int g = 0; g < records; g++) {
                table.remove(BlockTable.startKey(g));
            }
            table.shrinkIfEmpty();
            assertEquals(0, table.count());
            assertEquals(BlockTable.MIN_CAPACITY * BlockTable.ENTRY_BYTES, memory.lentBytes(), "back to one page");
            assertTrue(memory.trim() > 0, "the retired storages' chunks go back to the OS at trim");
        }
    }

    @Test
    void aReadAfterTheMemoryClosedIsAMissNotAnException() {
        MetadataMemory memory = newMemory();
        BlockTable table = new BlockTable(memory);
        table.put(BlockTable.startKey(7), BlockTable.LIVE | 3, BlockTable.liveWord1(1, 1));
        assertEquals(BlockTable.liveWord1(1, 1), table.liveRecord(BlockTable.startKey(7), BlockTable.LIVE | 3));
        memory.close();
        assertEquals(-1, table.liveRecord(BlockTable.startKey(7), BlockTable.LIVE | 3));
    }

    /**
     * Two tables share one metadata memory and hold the same key with the same live head, told apart
     * by word1. Both grow and reset over and over, so their storages' chunks pass from one to the
     * other; a reader of the first must see its own word1 or a miss, never the second's. With the
     * retire's scope close taken out (a plain release), 10 000 rounds read the other table's record
     * in 5 runs of 5.
     */
    public static final class TwoTablesBody {
        static final int KEY = BlockTable.startKey(5);
        static final int HEAD = BlockTable.LIVE | 9;
        static final long MINE = BlockTable.liveWord1(111, 111);
        static final long THEIRS = BlockTable.liveWord1(222, 222);

        public static void main(String[] args) throws Exception {
            long rounds = Long.parseLong(args[0]);
            try (MetadataMemory memory = newMemory()) {
                BlockTable mine = new BlockTable(memory);
                BlockTable theirs = new BlockTable(memory);
                AtomicBoolean done = new AtomicBoolean();
                AtomicReference<Throwable> failure = new AtomicReference<>();
                long[] seen = new long[2]; // hits, misses
                Thread reader = Thread.ofPlatform().start(() -> {
                    try {
                        while (!done.get()) {
                            long w1 = mine.liveRecord(KEY, HEAD);
                            if (w1 == MINE) {
                                seen[0]++;
                            } else if (w1 == -1) {
                                seen[1]++;
                            } else {
                                throw new AssertionError("read another table's record: word1=0x" + Long.toHexString(w1));
                            }
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                });
                for (long r = 0; r < rounds && failure.get() == null; r++) {
                    cycle(theirs, THEIRS); // takes the chunks mine just retired
                    cycle(mine, MINE);
                }
                done.set(true);
                reader.join();
                if (failure.get() != null) {
                    throw new AssertionError(failure.get());
                }
                if (seen[0] == 0 || seen[1] == 0) {
                    throw new AssertionError("the reader must see both hits and misses: " + seen[0] + ", " + seen[1]);
                }
                System.out.println("hits " + seen[0] + ", misses " + seen[1]);
            }
        }

        /** Puts the key, grows the table past two storages, then empties and resets it. */
        private static void cycle(BlockTable t, long word1) {
            t.put(KEY, HEAD, word1);
            for (int g = 100; g < 100 + 2 * BlockTable.MIN_CAPACITY; g++) {
                t.put(BlockTable.startKey(g), BlockTable.FREE | 1, 0);
            }
            for (int g = 100; g < 100 + 2 * BlockTable.MIN_CAPACITY; g++) {
                t.remove(BlockTable.startKey(g));
            }
            t.remove(KEY);
            t.shrinkIfEmpty();
        }
    }

    @Test
    void aReaderOnAReplacedStorageNeverSeesTheRecordsOfTheTableThatTookItsChunks() {
        ForkedJvm.Result r = ForkedJvm.run(TwoTablesBody.class, "10000");
        assertFalse(r.crashed(), r::describe);
        assertEquals(0, r.exitCode(), r::describe);
        assertTrue(r.output().contains("hits "), r::describe);
    }
}
