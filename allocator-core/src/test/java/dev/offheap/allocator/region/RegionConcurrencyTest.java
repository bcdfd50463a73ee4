package dev.offheap.allocator.region;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.testing.Patterns;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several threads acquiring, writing, handing over and releasing spans of one region under a
 * tight limit, with decay and trim racing them: no chunk is ever lent twice, no span's content is
 * disturbed, the limit is never exceeded (by the counter, at any observation, nor by what the
 * kernel really held), and the counts are exact at the end. Then the region is closed under the
 * threads' feet: they see {@link IllegalStateException} and nothing else.
 */
@Timeout(120)
class RegionConcurrencyTest {
    private static final long CHUNK = 64 << 10;
    private static final int CHUNKS = 64;
    private static final int TOTAL_OPS = 6_000;

    /** A span in flight, with the thread that filled it and its pattern id. */
    record Held(Span span, int owner, long id) {
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {2, 4, 8})
    void concurrentAcquireAndReleaseNeverLendAChunkTwiceNorExceedTheLimit(int threads) throws Exception {
        FaultyMemory kernel = new FaultyMemory(); // no faults: the ledger of what the kernel holds
        long limit = 24 * CHUNK;
        try (Region region = Region.builder().name("contended").reserve(CHUNKS * CHUNK).chunkSize(CHUNK)
                .limit(limit).decay(Duration.ofNanos(50_000)).memory(kernel).build()) {
            AtomicIntegerArray ownerOfChunk = new AtomicIntegerArray(CHUNKS); // 0 = not lent
            Queue<Held> handedOver = new ConcurrentLinkedQueue<>();
            AtomicLong outOfMemory = new AtomicLong();
            AtomicLong maxSeen = new AtomicLong();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CyclicBarrier start = new CyclicBarrier(threads + 1);

            Thread observer = Thread.ofPlatform().start(() -> {
                while (running.get()) {
                    maxSeen.accumulateAndGet(region.committedBytes(), Math::max);
                    Thread.onSpinWait();
                }
            });
            List<Thread> workers = new ArrayList<>();
            for (int t = 1; t <= threads; t++) {
                int me = t;
                workers.add(Thread.ofPlatform().start(() -> {
                    try {
                        SplittableRandom random = new SplittableRandom(me);
                        List<Held> mine = new ArrayList<>();
                        start.await();
                        for (int op = 0; op < TOTAL_OPS / threads; op++) {
                            int dice = random.nextInt(10);
                            if (dice < 5) {
                                long bytes = random.nextLong(1, 4 * CHUNK);
                                Span span;
                                try {
                                    span = region.acquire(bytes);
                                } catch (OutOfOffHeapMemoryException e) {
                                    outOfMemory.incrementAndGet();
                                    continue;
                                }
                                claim(region, span, ownerOfChunk, me);
                                long id = (long) me << 32 | op;
                                Patterns.fill(span.segment(), id);
                                mine.add(new Held(span, me, id));
                            } else if (dice < 8 && !mine.isEmpty()) {
                                giveBack(region, mine.remove(random.nextInt(mine.size())), ownerOfChunk);
                            } else if (dice < 9 && !mine.isEmpty()) {
                                handedOver.add(mine.remove(random.nextInt(mine.size()))); // freed by another thread
                            } else if (random.nextInt(20) == 0) {
                                region.trim();
                            } else {
                                Held other = handedOver.poll();
                                if (other != null) {
                                    giveBack(region, other, ownerOfChunk);
                                }
                            }
                        }
                        for (Held h : mine) {
                            giveBack(region, h, ownerOfChunk);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            start.await();
            for (Thread w : workers) {
                w.join();
            }
            running.set(false);
            observer.join();
            assertNull(failure.get(), () -> "a worker failed: " + failure.get());
            for (Held h; (h = handedOver.poll()) != null; ) {
                giveBack(region, h, ownerOfChunk);
            }
            assertEquals(0, region.usedBytes(), "every span given back");
            assertTrue(maxSeen.get() <= limit, "committed observed above the limit: " + maxSeen.get());
            assertTrue(kernel.peakCommittedBytes.get() <= limit, "the kernel held more than the limit: "
                    + kernel.peakCommittedBytes.get());
            assertTrue(outOfMemory.get() > 0, "the limit was actually pressed");
            assertEquals(kernel.committedBytes.get(), region.committedBytes(), "counters match the kernel");
            region.trim();
            assertEquals(0, region.committedBytes());
            assertEquals(0, kernel.committedBytes.get());
        }
    }

    private static void claim(Region region, Span span, AtomicIntegerArray ownerOfChunk, int me) {
        int first = (int) ((span.address() - region.baseAddress()) / CHUNK);
        for (int c = first; c < first + span.byteSize() / CHUNK; c++) {
            int previous = ownerOfChunk.compareAndExchange(c, 0, me);
            if (previous != 0) {
                throw new AssertionError("chunk " + c + " lent to thread " + me + " while thread " + previous + " holds it");
            }
        }
    }

    private static void giveBack(Region region, Held held, AtomicIntegerArray ownerOfChunk) {
        if (!Patterns.holds(held.span.segment(), held.id)) {
            throw new AssertionError("span of thread " + held.owner + " was overwritten: " + held.span);
        }
        int first = (int) ((held.span.address() - region.baseAddress()) / CHUNK);
        for (int c = first; c < first + held.span.byteSize() / CHUNK; c++) {
            if (!ownerOfChunk.compareAndSet(c, held.owner, 0)) {
                throw new AssertionError("chunk " + c + " not owned by " + held.owner);
            }
        }
        region.release(held.span); // after the claim is dropped: another thread may get it at once
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {2, 4, 8})
    void closingUnderLoadGivesEveryThreadAClearExceptionAndNeverACrash(int threads) throws Exception {
        Region region = Region.builder().name("closing").reserve(CHUNKS * CHUNK).chunkSize(CHUNK).build();
        AtomicLong ops = new AtomicLong();
        AtomicLong refusals = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int me = t;
            workers.add(Thread.ofPlatform().start(() -> {
                SplittableRandom random = new SplittableRandom(me);
                List<Span> mine = new ArrayList<>();
                while (true) {
                    try {
                        Span span = region.acquire(random.nextLong(1, 2 * CHUNK));
                        mine.add(span);
                        MemorySegment s = span.segment();
                        for (int i = 0; i < 64; i++) {
                            s.set(ValueLayout.JAVA_LONG, random.nextLong(s.byteSize() / 8) * 8, i);
                        }
                        for (Span held : mine) {
                            held.segment().get(ValueLayout.JAVA_LONG, 0);
                        }
                        if (mine.size() > 4) {
                            region.release(mine.remove(0));
                        }
                        ops.incrementAndGet();
                    } catch (IllegalStateException closed) {
                        refusals.incrementAndGet();
                        for (Span held : mine) {
                            region.release(held); // a no-op once closed, never an error
                        }
                        return;
                    } catch (OutOfOffHeapMemoryException full) {
                        // 8 threads may hold more than the region: one holding nothing waits for the others
                        if (mine.isEmpty()) {
                            Thread.onSpinWait();
                        } else {
                            region.release(mine.remove(0));
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                        return;
                    }
                }
            }));
        }
        while (ops.get() < 200L * threads && failure.get() == null) {
            Thread.onSpinWait();
        }
        region.close();
        for (Thread w : workers) {
            w.join();
        }
        assertNull(failure.get(), () -> "a worker saw something other than IllegalStateException: " + failure.get());
        assertEquals(threads, refusals.get(), "every thread was refused clearly");
        assertEquals(0, region.committedBytes());
        assertEquals(0, region.usedBytes());
    }
}
