package dev.offheap.allocator.slab;

import dev.offheap.allocator.metrics.AllocatorSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Virtual threads never get pages of their own (issue 11): 10 000 live virtual threads each holding
 * one 64 B block commit one segment, not a page per thread per class as a cache per thread would.
 */
@Timeout(120)
class SlabVirtualThreadTest {
    private static final int THREADS = 10_000;

    @Test
    void tenThousandLiveVirtualThreadsEachHoldingABlockCommitLittle() throws Exception {
        try (SlabAllocator slab = SlabAllocator.builder().name("vt").reserve(1L << 30).build()) {
            CountDownLatch allocated = new CountDownLatch(THREADS);
            CountDownLatch release = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>(THREADS);
            for (int i = 0; i < THREADS; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        long h = slab.allocate(64);
                        slab.putLong(h, 0, h);
                        allocated.countDown();
                        release.await();
                        assertEquals(h, slab.getLong(h, 0));
                        slab.free(h);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                        allocated.countDown();
                    }
                }));
            }
            allocated.await();
            AllocatorSnapshot held = slab.snapshot();
            release.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertNull(failure.get(), () -> "a virtual thread failed: " + failure.get());
            assertEquals(THREADS, held.liveBlocks());
            assertTrue(held.committedBytes() <= 16L << 20, "committed " + held.committedBytes() + " bytes for 640 KB live");
            System.out.println("10 000 live virtual threads with a 64 B block each: committed=" + held.committedBytes()
                    + ", usedBytes=" + held.usedBytes());
            AllocatorSnapshot after = slab.snapshot();
            assertEquals(0, after.liveBlocks());
            assertEquals(THREADS, after.frees());
        }
    }
}
