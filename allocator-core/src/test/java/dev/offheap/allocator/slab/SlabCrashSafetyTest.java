package dev.offheap.allocator.slab;

import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.testing.ForkedJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Calls that crashed the JVM before the slab zeroed through scoped segments (issue 10, items 1 and
 * 2), each run in a forked JVM so a crash fails one test with the child's exit code. A body exits 0
 * only if every call it made either worked or threw {@link IllegalStateException} as promised.
 */
@Timeout(120)
class SlabCrashSafetyTest {

    /** Fails the child with a message (exit 1 through the uncaught exception). */
    static void require(boolean condition, Supplier<String> message) {
        if (!condition) {
            throw new AssertionError(message.get());
        }
    }

    /** Runs {@code call}; it must throw IllegalStateException whose message contains {@code text}. */
    static void expectClosed(String what, String text, Runnable call) {
        try {
            call.run();
        } catch (IllegalStateException expected) {
            require(expected.getMessage() != null && expected.getMessage().contains(text),
                    () -> what + ": message should contain '" + text + "': " + expected.getMessage());
            return;
        }
        throw new AssertionError(what + ": returned normally after the region closed");
    }

    /** A caller's region closed under a slab, and the façade's region closed under it. */
    public static final class RegionClosedUnderSlab {
        public static void main(String[] args) {
            Region region = Region.builder().name("callers-region").reserve(1L << 30).build();
            SlabAllocator slab = SlabAllocator.builder().name("slab").region(region).build();
            long freed = slab.allocate(64);
            slab.free(freed); // the next allocation would zero this slot
            long live = slab.allocate(64);
            MemorySegment kept = slab.segment(live);
            region.close();
            expectClosed("allocate", "region is closed: region=callers-region", () -> slab.allocate(64));
            expectClosed("free", "region is closed: region=callers-region", () -> slab.free(live));
            expectClosed("segment", "region is closed: region=callers-region", () -> slab.segment(live));
            expectClosed("kept segment write", "", () -> kept.set(ValueLayout.JAVA_LONG, 0, 1L));
            expectClosed("validated write", "", () -> slab.putLong(live, 0, 1L));
            slab.close();

            OffHeap memory = OffHeap.builder().name("facade").reserve(1L << 30).build();
            long h = memory.allocate(64);
            memory.free(h);
            memory.region().close();
            expectClosed("façade allocate", "region is closed: region=facade", () -> memory.allocate(64));
            memory.close();
            System.out.println("ok");
        }
    }

    /** OffHeap.close racing two threads that allocate, write and free. */
    public static final class CloseRacesCalls {
        public static void main(String[] args) throws Exception {
            for (int round = 0; round < 30; round++) {
                OffHeap memory = OffHeap.builder().name("race").reserve(1L << 30).build();
                AtomicReference<Throwable> unexpected = new AtomicReference<>();
                CountDownLatch running = new CountDownLatch(2);
                List<Thread> workers = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    int size = t == 0 ? 64 : 48_000; // the slab, and the free list
                    Thread worker = new Thread(() -> {
                        running.countDown();
                        try {
                            for (long i = 0; ; i++) {
                                long h = memory.allocate(size);
                                memory.putLong(h, 0, i);
                                memory.segment(h).set(ValueLayout.JAVA_LONG, 8, i);
                                memory.free(h);
                            }
                        } catch (IllegalStateException closed) {
                            // the promise: after close every call finishes or throws this
                        } catch (Throwable e) {
                            unexpected.compareAndSet(null, e);
                        }
                    });
                    workers.add(worker);
                    worker.start();
                }
                running.await();
                Thread.sleep(round % 5);
                memory.close();
                for (Thread worker : workers) {
                    worker.join(10_000);
                    require(!worker.isAlive(), () -> "a worker still runs after close");
                }
                if (unexpected.get() != null) {
                    throw new AssertionError("a racing call threw something else than IllegalStateException",
                            unexpected.get());
                }
            }
            System.out.println("ok");
        }
    }

    /** Checked mode: a live block's own-scope segment written after the façade's region closed. */
    public static final class CheckedSegmentAfterRegionClose {
        public static void main(String[] args) {
            OffHeap memory = OffHeap.builder().name("checked").reserve(1L << 30).checked(true).build();
            long h = memory.allocate(64);
            MemorySegment kept = memory.segment(h);
            memory.region().close();
            // The checked slab ends with the façade's region: the block's own scope closed with it.
            expectClosed("kept segment after region close", "", () -> kept.set(ValueLayout.JAVA_LONG, 0, 42L));
            expectClosed("allocate", "region is closed: region=checked", () -> memory.allocate(64));
            memory.close();
            expectClosed("kept segment after close", "", () -> kept.get(ValueLayout.JAVA_LONG, 0));
            System.out.println("ok");
        }
    }

    @Test
    void aRegionClosedUnderTheSlabMakesItsCallsThrowNamingTheRegion() {
        ForkedJvm.Result r = ForkedJvm.run(RegionClosedUnderSlab.class);
        assertEquals(0, r.exitCode(), r::describe);
    }

    @Test
    void closeRacingAllocateWriteAndFreeOnTwoThreadsOnlyThrowsIllegalState() {
        ForkedJvm.Result r = ForkedJvm.run(CloseRacesCalls.class);
        assertEquals(0, r.exitCode(), r::describe);
    }

    @Test
    void aCheckedSegmentWrittenAfterTheRegionClosedDoesNotCrash() {
        ForkedJvm.Result r = ForkedJvm.run(CheckedSegmentAfterRegionClose.class);
        assertEquals(0, r.exitCode(), r::describe);
    }
}
