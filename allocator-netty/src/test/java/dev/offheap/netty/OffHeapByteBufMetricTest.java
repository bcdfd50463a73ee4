package dev.offheap.netty;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The direct buffers' bytes and block count share one striped counter and still read exactly. */
@Timeout(60)
class OffHeapByteBufMetricTest {
    @Test
    void blocksFreedOnAnotherThreadLeaveExactBytesAndCount() throws InterruptedException {
        OffHeapByteBufMetric metric = new OffHeapByteBufMetric();
        SplittableRandom random = new SplittableRandom(11);
        int blocks = 10_000;
        long[] sizes = new long[blocks];
        long expectedBytes = 0;
        for (int i = 0; i < blocks; i++) {
            sizes[i] = random.nextLong(1, 1L << 30); // up to 1 GiB each: 5 TiB in all, under the 16 TiB field
            metric.directAllocated(sizes[i]);
            expectedBytes += sizes[i];
        }
        assertEquals(blocks, metric.directBlocks());
        assertEquals(expectedBytes, metric.usedDirectMemory());
        // Another thread frees two blocks in three: its cell goes negative, the total does not.
        long freedBytes = 0;
        for (int i = 0; i < blocks; i++) {
            if (i % 3 != 0) {
                freedBytes += sizes[i];
            }
        }
        Thread freer = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < blocks; i++) {
                if (i % 3 != 0) {
                    metric.directFreed(sizes[i]);
                }
            }
        });
        freer.join();
        assertEquals((blocks + 2) / 3, metric.directBlocks());
        assertEquals(expectedBytes - freedBytes, metric.usedDirectMemory());
        for (int i = 0; i < blocks; i += 3) {
            metric.directFreed(sizes[i]);
        }
        assertEquals(0, metric.directBlocks());
        assertEquals(0, metric.usedDirectMemory());
    }
}
