package dev.offheap.allocator.facade;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The snapshot counts the thread caches a service's threads made (the {@code offheap.thread.caches} gauge). */
@Timeout(30)
class OffHeapThreadCachesTest {

    @Test
    void eachPlatformThreadThatAllocatesAddsACacheAndCloseShowsNone() throws InterruptedException {
        OffHeap memory = OffHeap.builder().reserve(1L << 30).build();
        memory.free(memory.allocate(64));
        long one = memory.snapshot().threadCaches();
        assertTrue(one >= 1, "this thread's cache: " + one);
        long two = cachesWith(memory, 1); // the other thread stays alive until counted: a dead thread's cache may be reclaimed
        assertTrue(two > one, "another thread's cache: " + two + " after " + one);
        memory.close();
        assertEquals(0, memory.snapshot().threadCaches());
    }

    @Test
    void pooledCachesStayBoundedHoweverManyPlatformThreadsAllocateAndBlocksMoveBetweenThem() throws InterruptedException {
        try (OffHeap pooled = OffHeap.builder().reserve(1L << 30).threadCaches(false).pooledCaches(2).build()) {
            long caches = cachesWith(pooled, 8);
            assertTrue(caches >= 1 && caches <= 2, "eight threads, two pooled caches: " + caches);
            long h = pooled.allocate(64);
            Thread other = Thread.ofPlatform().start(() -> pooled.free(h));
            other.join();
            assertFalse(pooled.isLive(h), "freed on another thread");
            assertEquals(pooled.snapshot().allocations(), pooled.snapshot().frees());
        }
        try (OffHeap perThread = OffHeap.builder().reserve(1L << 30).build()) {
            assertTrue(cachesWith(perThread, 8) >= 8, "positive control: a cache per platform thread");
        }
    }

    /**
     * {@return the thread caches {@code memory} holds while {@code threads} live platform threads
     * have each allocated and freed 1 000 blocks of 64 B}
     */
    static long cachesWith(OffHeap memory, int threads) throws InterruptedException {
        CountDownLatch allocated = new CountDownLatch(threads);
        CountDownLatch counted = new CountDownLatch(1);
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            workers[t] = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1000; i++) {
                    memory.free(memory.allocate(64));
                }
                allocated.countDown();
                try {
                    counted.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        allocated.await();
        long caches = memory.snapshot().threadCaches();
        counted.countDown();
        for (Thread w : workers) {
            w.join();
        }
        return caches;
    }
}
