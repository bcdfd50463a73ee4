package dev.offheap.bench.rss;

import dev.offheap.bench.peers.LongBlocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The harness's floor: distinct 4 KiB pages under the kept blocks, counted by hand here. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PinnedBytesTest {
    /** Blocks are their own addresses (the interface's default), never allocated. */
    private static final LongBlocks ADDRESSES = new LongBlocks() {
        @Override
        public long allocate(long byteSize) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void free(long block) {
        }

        @Override
        public void close() {
        }
    };

    private static final long PAGE = 4096;
    private static final long BASE = 1L << 32;

    @Test
    void twoSmallBlocksOnOnePageCountItOnce() {
        assertEquals(PAGE, RssAfterChurnMain.pinnedBytes(ADDRESSES,
                List.of(new long[] {BASE + 16, 64}, new long[] {BASE + 1024, 512})));
    }

    @Test
    void aBlockAcrossAPageBoundaryPinsBoth() {
        assertEquals(2 * PAGE, RssAfterChurnMain.pinnedBytes(ADDRESSES, List.of(new long[] {BASE + PAGE - 8, 16})));
    }

    @Test
    void sixteenKibOneByteInPinsFivePagesAndOverlapsAreCountedOnce() {
        // Pages 0..4 from the big block; the second block lies in pages 3..4 (already counted), the
        // third in pages 9..10, given out of order.
        assertEquals(7 * PAGE, RssAfterChurnMain.pinnedBytes(ADDRESSES, List.of(
                new long[] {BASE + 9 * PAGE + 100, PAGE},
                new long[] {BASE + 1, 16 * 1024},
                new long[] {BASE + 3 * PAGE + 5, PAGE + 10})));
    }

    @Test
    void aBlockEndingOnABoundaryDoesNotPinTheNextPage() {
        assertEquals(PAGE, RssAfterChurnMain.pinnedBytes(ADDRESSES, List.of(new long[] {BASE, PAGE})));
    }
}
