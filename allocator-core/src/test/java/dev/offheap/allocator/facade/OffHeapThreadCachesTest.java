package dev.offheap.allocator.facade;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        CountDownLatch allocated = new CountDownLatch(1);
        CountDownLatch counted = new CountDownLatch(1);
        // The other thread stays alive until counted: a dead thread's cache may be reclaimed.
        Thread other = Thread.ofPlatform().start(() -> {
            memory.free(memory.allocate(64));
            allocated.countDown();
            try {
                counted.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        allocated.await();
        long two = memory.snapshot().threadCaches();
        counted.countDown();
        other.join();
        assertTrue(two > one, "another thread's cache: " + two + " after " + one);
        memory.close();
        assertEquals(0, memory.snapshot().threadCaches());
    }
}
