package dev.offheap.allocator.slab;

import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.region.Region;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Randomized operation sequences checked against a model: every live block keeps a pattern derived
 * from its handle (so two overlapping blocks would damage each other's), and the allocator's counts
 * equal the model's.
 */
class SlabModelTest {
    /** Bytes of the pattern written at each end of a block; the whole block when smaller. */
    private static final int PATTERN_END_BYTES = 256;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void singleThreadSequencesMatchTheModel(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        try (SlabAllocator slab = SlabAllocator.builder().reserve(1L << 30).zeroing(seed != 2).build()) {
            List<Long> live = new ArrayList<>();
            TreeMap<Long, Long> byAddress = new TreeMap<>(); // address -> end
            long modelBytes = 0;
            long allocations = 0;
            for (int op = 0; op < 40_000; op++) {
                boolean allocate = live.isEmpty() || random.nextInt(100) < (op < 20_000 ? 60 : 40);
                if (allocate) {
                    long size = randomSize(random);
                    long h = slab.allocate(size);
                    MemorySegment s = slab.segment(h);
                    assertTrue(s.byteSize() >= size);
                    Map.Entry<Long, Long> below = byAddress.floorEntry(s.address());
                    assertTrue(below == null || below.getValue() <= s.address(), "overlaps the block below");
                    Map.Entry<Long, Long> above = byAddress.ceilingEntry(s.address());
                    assertTrue(above == null || above.getKey() >= s.address() + s.byteSize(), "overlaps the block above");
                    byAddress.put(s.address(), s.address() + s.byteSize());
                    fill(s, h);
                    live.add(h);
                    modelBytes += s.byteSize();
                    allocations++;
                } else {
                    int i = random.nextInt(live.size());
                    long h = live.get(i);
                    live.set(i, live.get(live.size() - 1));
                    live.remove(live.size() - 1);
                    MemorySegment s = slab.segment(h);
                    verify(s, h);
                    byAddress.remove(s.address());
                    modelBytes -= s.byteSize();
                    slab.free(h);
                }
                if (op % 5000 == 0) {
                    AllocatorSnapshot snap = slab.snapshot();
                    assertEquals(live.size(), snap.liveBlocks());
                    assertEquals(modelBytes, snap.usedBytes());
                    assertEquals(allocations, snap.allocations());
                }
            }
            for (long h : live) {
                verify(slab.segment(h), h);
                slab.free(h);
            }
            AllocatorSnapshot end = slab.snapshot();
            assertEquals(0, end.liveBlocks());
            assertEquals(0, end.usedBytes());
            assertEquals(0, end.doubleFrees());
            assertEquals(end.allocations(), end.frees());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void threadsThatFreeEachOthersBlocksMatchTheModel(int threads) throws Exception {
        try (SlabAllocator slab = SlabAllocator.builder().reserve(1L << 30).build()) {
            ConcurrentLinkedQueue<Long> handedOver = new ConcurrentLinkedQueue<>();
            AtomicLong allocations = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = 100 + t;
                Thread worker = new Thread(() -> {
                    try {
                        start.await();
                        run(slab, new SplittableRandom(seed), handedOver, allocations);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "slab-model-" + t);
                workers.add(worker);
                worker.start();
            }
            for (Thread worker : workers) {
                worker.join();
            }
            assertNull(failure.get(), () -> "a worker failed: " + failure.get());
            for (Long h; (h = handedOver.poll()) != null; ) {
                verify(slab.segment(h), h);
                slab.free(h);
            }
            AllocatorSnapshot end = slab.snapshot();
            assertEquals(allocations.get(), end.allocations());
            assertEquals(allocations.get(), end.frees());
            assertEquals(0, end.liveBlocks());
            assertEquals(0, end.usedBytes());
            assertEquals(0, end.doubleFrees());
            assertTrue(end.remoteFrees() > 0, "no remote free happened");
        }
    }

    @Test
    void shortLivedThreadsLeaveNothingBehind() throws Exception {
        Region region = Region.builder().reserve(1L << 30).build();
        try (SlabAllocator slab = SlabAllocator.builder().region(region).build()) {
            ConcurrentLinkedQueue<Long> handedOver = new ConcurrentLinkedQueue<>();
            AtomicLong allocations = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int generation = 0; generation < 12; generation++) {
                List<Thread> workers = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    long seed = generation * 10L + t;
                    Thread worker = new Thread(() -> {
                        try {
                            SplittableRandom random = new SplittableRandom(seed);
                            for (int i = 0; i < 2_000; i++) {
                                long h = slab.allocate(randomSize(random));
                                allocations.incrementAndGet();
                                fill(slab.segment(h), h);
                                handedOver.add(h);
                                Long other = random.nextBoolean() ? handedOver.poll() : null;
                                if (other != null) {
                                    verify(slab.segment(other), other);
                                    slab.free(other);
                                }
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    });
                    workers.add(worker);
                    worker.start();
                }
                for (Thread worker : workers) {
                    worker.join(); // every worker dies with pages that hold live blocks
                }
            }
            assertNull(failure.get(), () -> "a worker failed: " + failure.get());
            for (Long h; (h = handedOver.poll()) != null; ) {
                verify(slab.segment(h), h);
                slab.free(h);
            }
            // This thread's cache may be a dead worker's, reclaimed: its empty current pages are this
            // thread's now, and trim gives them back with every other empty page.
            slab.trim();
            long kept = slab.allocate(SizeClasses.MAX_BLOCK_BYTES);
            AllocatorSnapshot end = slab.snapshot();
            assertEquals(1, end.liveBlocks());
            assertEquals(allocations.get() + 1, end.allocations());
            assertEquals(0, end.doubleFrees());
            // Every dead thread's page went back; only this thread's 32 KiB page remains.
            assertEquals(SegmentDescriptor.SEGMENT_BYTES, region.usedBytes());
            assertEquals(SegmentDescriptor.SEGMENT_BYTES, end.committedBytes());
            slab.free(kept);
        } finally {
            region.close();
        }
    }

    /** One worker: allocate, fill, verify and free its own blocks or other threads' handed-over ones. */
    private static void run(SlabAllocator slab, SplittableRandom random, ConcurrentLinkedQueue<Long> handedOver,
                            AtomicLong allocations) {
        List<Long> mine = new ArrayList<>();
        for (int op = 0; op < 30_000; op++) {
            int dice = random.nextInt(100);
            if (dice < 50 || mine.isEmpty()) {
                long h = slab.allocate(randomSize(random));
                allocations.incrementAndGet();
                fill(slab.segment(h), h);
                if (random.nextInt(3) == 0) {
                    handedOver.add(h); // someone else frees it
                } else {
                    mine.add(h);
                }
            } else if (dice < 75) {
                Long h = handedOver.poll();
                if (h != null) {
                    verify(slab.segment(h), h);
                    slab.free(h);
                }
            } else {
                long h = mine.remove(random.nextInt(mine.size()));
                verify(slab.segment(h), h);
                slab.free(h);
            }
        }
        for (long h : mine) {
            verify(slab.segment(h), h);
            slab.free(h);
        }
    }

    private static long randomSize(SplittableRandom random) {
        int kind = random.nextInt(100);
        if (kind < 70) {
            return 1 + random.nextInt(128);
        } else if (kind < 95) {
            return 129 + random.nextInt(4096 - 128);
        }
        return 4097 + random.nextInt(32768 - 4096);
    }

    private static byte patternByte(long handle, long i) {
        long x = (handle + i) * 0x9E3779B97F4A7C15L;
        return (byte) (x >>> 56);
    }

    private static void fill(MemorySegment s, long handle) {
        long size = s.byteSize();
        for (long i = 0; i < size; i++) {
            if (i == PATTERN_END_BYTES && size > 2 * PATTERN_END_BYTES) {
                i = size - PATTERN_END_BYTES;
            }
            s.set(ValueLayout.JAVA_BYTE, i, patternByte(handle, i));
        }
    }

    private static void verify(MemorySegment s, long handle) {
        long size = s.byteSize();
        for (long i = 0; i < size; i++) {
            if (i == PATTERN_END_BYTES && size > 2 * PATTERN_END_BYTES) {
                i = size - PATTERN_END_BYTES;
            }
            if (s.get(ValueLayout.JAVA_BYTE, i) != patternByte(handle, i)) {
                fail("block contents changed at byte " + i + ": handle=0x" + Long.toHexString(handle) + ", size=" + size);
            }
        }
    }

    @Test
    void patternHelpersSeeADifferentHandle() {
        try (SlabAllocator slab = SlabAllocator.builder().reserve(1L << 30).build()) {
            long h = slab.allocate(64);
            fill(slab.segment(h), h);
            assertThrowsAssertion(() -> verify(slab.segment(h), h + 1));
            slab.free(h);
        }
    }

    private static void assertThrowsAssertion(Runnable r) {
        try {
            r.run();
        } catch (AssertionError expected) {
            return;
        }
        fail("verify did not notice a wrong pattern");
    }
}
