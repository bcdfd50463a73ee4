package dev.offheap.allocator.facade;

import dev.offheap.allocator.AllocationListener;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Arrow-style hooks on the façade: before and after allocation, after free, retry after a refusal. */
class OffHeapAllocationListenerTest {

    /** Records every hook as a line. */
    static final class Recorder implements AllocationListener {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void onPreAllocation(long byteSize) {
            events.add("pre " + byteSize);
        }

        @Override
        public void onAllocation(long handle, long byteSize) {
            events.add("allocated " + handle + " " + byteSize);
        }

        @Override
        public void onFree(long handle, long byteSize) {
            events.add("freed " + handle + " " + byteSize);
        }
    }

    @Test
    void everyAllocationAndFreeIsHookedInOrderWithUsableSizes() {
        Recorder r = new Recorder();
        try (OffHeap memory = OffHeap.builder().reserve(1L << 30).allocationListener(r).build()) {
            long small = memory.allocate(100);
            long large = memory.allocate(3L << 20);
            long largeBytes = memory.byteSize(large); // a span of whole chunks
            memory.free(small);
            try (var block = memory.allocateBlock(50)) {
                assertTrue(block.isOpen());
            }
            memory.free(large);
            long blockHandle = Long.parseLong(r.events.get(6).split(" ")[1]);
            assertEquals(List.of("pre 100", "allocated " + small + " 112", "pre " + (3L << 20),
                    "allocated " + large + " " + largeBytes, "freed " + small + " 112", "pre 50",
                    "allocated " + blockHandle + " 64", "freed " + blockHandle + " 64",
                    "freed " + large + " " + largeBytes), r.events);
            int before = r.events.size();
            assertThrows(RuntimeException.class, () -> memory.free(small), "a double free");
            assertEquals(before, r.events.size(), "a refused free is not hooked");
        }
    }

    @Test
    void aRefusedAllocationIsRetriedWhenTheListenerFreesMemory() {
        List<Long> cache = new ArrayList<>();
        OffHeap[] self = new OffHeap[1];
        AtomicInteger failures = new AtomicInteger();
        boolean[] evicting = {false};
        AllocationListener evictOnPressure = new AllocationListener() {
            @Override
            public boolean onFailedAllocation(long byteSize, OutOfOffHeapMemoryException failure) {
                failures.incrementAndGet();
                if (!evicting[0] || cache.isEmpty()) {
                    return false;
                }
                self[0].free(cache.removeLast());
                self[0].trim(); // give the span back so the limit has room
                return true;
            }
        };
        try (OffHeap memory = OffHeap.builder().reserve(1L << 30).limit(16L << 20).decay(java.time.Duration.ZERO)
                .allocationListener(evictOnPressure).build()) {
            self[0] = memory;
            OutOfOffHeapMemoryException full = null;
            for (int i = 0; i < 8 && full == null; i++) {
                try {
                    cache.add(memory.allocate(4L << 20));
                } catch (OutOfOffHeapMemoryException e) {
                    full = e;
                }
            }
            assertTrue(full != null, "the limit refused within 8 blocks of 4 MiB");
            assertEquals(1, failures.get(), "the listener heard of the refusal");
            int cached = cache.size();
            assertTrue(cached >= 1, "at least one block fitted");

            evicting[0] = true;
            long h = memory.allocate(4L << 20); // refused, the listener evicts one, the retry succeeds
            assertEquals(2, failures.get());
            assertEquals(cached - 1, cache.size(), "one block was evicted to make room");
            assertEquals(cached, memory.snapshot().liveBlocks());
            memory.free(h);
            cache.forEach(memory::free);
        }
    }

    @Test
    void aRetryIsBoundedEvenIfTheListenerAlwaysAsksForOne() {
        AtomicInteger calls = new AtomicInteger();
        AllocationListener liar = new AllocationListener() {
            @Override
            public boolean onFailedAllocation(long byteSize, OutOfOffHeapMemoryException failure) {
                calls.incrementAndGet();
                return true; // frees nothing
            }
        };
        try (OffHeap memory = OffHeap.builder().reserve(1L << 30).limit(4L << 20).allocationListener(liar).build()) {
            assertThrows(OutOfOffHeapMemoryException.class, () -> memory.allocate(8L << 20));
            assertEquals(AllocationListener.MAX_RETRIES, calls.get());
            assertEquals(AllocationListener.MAX_RETRIES + 1, memory.snapshot().failedAllocations(),
                    "the first try and every retry were refused");
        }
    }

    @Test
    void aThrowingPreHookVetoesAndAThrowingPostHookGivesTheBlockBack() {
        IllegalStateException veto = new IllegalStateException("vetoed: byteSize=64");
        AllocationListener refuses = new AllocationListener() {
            @Override
            public void onPreAllocation(long byteSize) {
                throw veto;
            }
        };
        try (OffHeap memory = OffHeap.builder().reserve(1L << 30).allocationListener(refuses).build()) {
            assertSame(veto, assertThrows(IllegalStateException.class, () -> memory.allocate(64)));
            assertEquals(0, memory.snapshot().allocations(), "nothing was allocated");
        }
        AllocationListener failsAfter = new AllocationListener() {
            @Override
            public void onAllocation(long handle, long byteSize) {
                throw veto;
            }
        };
        OffHeap strict = OffHeap.builder().reserve(1L << 30).allocationListener(failsAfter)
                .leakPolicy(dev.offheap.allocator.LeakPolicy.THROW).build();
        assertSame(veto, assertThrows(IllegalStateException.class, () -> strict.allocate(64)));
        assertEquals(1, strict.snapshot().allocations());
        assertEquals(0, strict.snapshot().liveBlocks(), "the block went back");
        strict.close(); // no LeakException: the strict close's record never saw the block
    }
}
