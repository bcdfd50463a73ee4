package dev.offheap.allocator.facade;

import dev.offheap.allocator.region.Region;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link OffHeap.Builder#commitAhead(long)}: the bytes the background committer keeps ready beyond
 * what is in use, against the default's eight chunks as the positive control.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OffHeapCommitAheadTest {
    private static final long CHUNK = Region.DEFAULT_CHUNK_BYTES;

    /** Allocates one small block and waits until committed bytes stop changing for 300 ms; {@return them} */
    private static long committedOnceSettled(OffHeap memory) throws InterruptedException {
        long handle = memory.allocate(64);
        long last = -1;
        long stableSince = System.nanoTime();
        while (System.nanoTime() - stableSince < 300_000_000L) {
            long now = memory.snapshot().committedBytes();
            if (now != last) {
                last = now;
                stableSince = System.nanoTime();
            }
            Thread.sleep(10);
        }
        memory.free(handle);
        return last;
    }

    @Test
    void theDefaultKeepsEightChunksReadyAndASmallerSettingKeepsWhatItSays() throws InterruptedException {
        long byDefault;
        try (OffHeap memory = OffHeap.builder().name("ahead-default").decay(Duration.ofSeconds(30)).build()) {
            byDefault = committedOnceSettled(memory);
        }
        long twoChunks;
        try (OffHeap memory = OffHeap.builder().name("ahead-2").decay(Duration.ofSeconds(30)).commitAhead(2 * CHUNK).build()) {
            twoChunks = committedOnceSettled(memory);
        }
        long none;
        try (OffHeap memory = OffHeap.builder().name("ahead-0").decay(Duration.ofSeconds(30)).commitAhead(0).build()) {
            none = committedOnceSettled(memory);
        }
        assertTrue(none > 0, "the slab's span holding the block is committed: " + none);
        assertEquals(none + 8 * CHUNK, byDefault, "positive control: the default keeps eight chunks ready");
        assertEquals(none + 2 * CHUNK, twoChunks, "two chunks ready with commitAhead(2 chunks)");
    }
}
