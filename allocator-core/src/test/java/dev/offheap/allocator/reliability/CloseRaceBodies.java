package dev.offheap.allocator.reliability;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.ownership.MemoryBlock;
import dev.offheap.allocator.region.Region;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * Bodies run in a forked JVM by {@link CloseRaceTest}: each could crash the JVM if the library
 * touched memory it no longer owns. A body exits 0 when every call either finished or threw
 * {@link IllegalStateException}; it exits 2 (after printing them) when a call threw anything else.
 */
public final class CloseRaceBodies {
    private CloseRaceBodies() {
    }

    /** Sizes of every range: slab, free list, large. */
    private static final long[] SIZES = {64, 4000, 100 << 10, 3L << 20};

    public static void main(String[] args) throws Exception {
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        switch (args[0]) {
            case "facade-close-race" -> {
                for (int round = 0; round < 200; round++) {
                    facadeCloseRace(round, unexpected);
                }
            }
            case "bump-close-race" -> {
                for (int round = 0; round < 50; round++) {
                    bumpCloseRace(unexpected);
                }
            }
            case "bump-region-closed" -> bumpRegionClosed();
            case "checked-block-region-closed" -> checkedBlockAfterRegionClose();
            default -> throw new IllegalArgumentException("unknown body: " + args[0]);
        }
        if (!unexpected.isEmpty()) {
            unexpected.forEach(Throwable::printStackTrace);
            System.exit(2);
        }
        System.out.println("ok");
    }

    /** A worker allocates, writes and frees in every range while the main thread closes. */
    private static void facadeCloseRace(int round, List<Throwable> unexpected) throws InterruptedException {
        OffHeap memory = OffHeap.builder().name("race-" + round).reserve(1L << 30).build();
        CountDownLatch running = new CountDownLatch(1);
        Thread worker = Thread.ofPlatform().start(() -> {
            long i = 0;
            while (true) {
                try {
                    long h = memory.allocate(SIZES[(int) (i++ % SIZES.length)]);
                    running.countDown();
                    MemorySegment s = memory.segment(h);
                    s.set(ValueLayout.JAVA_LONG, 0, i);
                    s.set(ValueLayout.JAVA_BYTE, s.byteSize() - 1, (byte) i);
                    if ((i & 1) == 0) {
                        memory.free(h);
                    }
                    try (MemoryBlock b = memory.allocateBlock(128)) {
                        b.segment().fill((byte) 3);
                    }
                } catch (IllegalStateException closed) {
                    if (memory.region().isClosed()) {
                        return; // the expected end: closed under us
                    }
                    // an ISE before close finished is fine too: keep going until the region is gone
                } catch (OutOfOffHeapMemoryException full) {
                    unexpected.add(full);
                    return;
                } catch (Throwable t) {
                    unexpected.add(t);
                    return;
                }
            }
        });
        running.await();
        Thread.sleep(round % 5); // vary where the worker is when close lands
        for (int attempt = 0; !memory.region().isClosed(); attempt++) {
            try {
                memory.close();
            } catch (IllegalStateException refused) {
                // the region may refuse while a span is in use by a native call: allowed, retried
                if (attempt == 100) {
                    throw refused;
                }
                Thread.sleep(1);
            }
        }
        worker.join();
    }

    /** Two threads allocate and write on a shared arena while the main thread closes it. */
    private static void bumpCloseRace(List<Throwable> unexpected) throws InterruptedException {
        BumpArena arena = BumpArena.builder().shared(true).reserve(256L << 20).build();
        CountDownLatch running = new CountDownLatch(2);
        Runnable work = () -> {
            running.countDown();
            for (long i = 0; ; i++) {
                try {
                    MemorySegment s = arena.allocate(16 + (i % 64) * 16, 16);
                    s.set(ValueLayout.JAVA_LONG, 0, i);
                    if (i % 1000 == 999) {
                        arena.reset();
                    }
                } catch (IllegalStateException closed) {
                    return;
                } catch (Throwable t) {
                    unexpected.add(t);
                    return;
                }
            }
        };
        Thread a = Thread.ofPlatform().start(work);
        Thread b = Thread.ofPlatform().start(work);
        running.await();
        arena.close();
        a.join();
        b.join();
    }

    /** A region closed under an arena: every call after throws IllegalStateException naming it. */
    private static void bumpRegionClosed() {
        for (boolean zeroing : new boolean[] {true, false}) {
            Region region = Region.builder().name("closed-under-bump").reserve(64L << 20).build();
            BumpArena arena = BumpArena.builder().region(region).zeroing(zeroing).build();
            MemorySegment kept = arena.allocate(64, 8);
            long mark = arena.mark();
            arena.allocate(1000, 8);
            arena.reset(mark); // the next allocation would zero dirty bytes
            region.close();
            for (int i = 0; i < 3; i++) {
                try {
                    arena.allocate(64 << i, 8);
                    throw new AssertionError("an allocation after the region closed succeeded: zeroing=" + zeroing);
                } catch (IllegalStateException expected) {
                    if (!expected.getMessage().contains("region=closed-under-bump")) {
                        throw new AssertionError("the message does not name the region: " + expected.getMessage());
                    }
                }
            }
            try {
                arena.allocate(8L << 20, 8); // a new span: the region refuses it
                throw new AssertionError("a span from a closed region");
            } catch (IllegalStateException expected) {
                if (!expected.getMessage().contains("closed-under-bump")) {
                    throw new AssertionError("the message does not name the region: " + expected.getMessage());
                }
            }
            try {
                kept.set(ValueLayout.JAVA_LONG, 0, 1L);
                throw new AssertionError("a segment of a closed region was written");
            } catch (IllegalStateException expected) {
                // the JVM refuses: the span's scope is closed
            }
            arena.close(); // still closes cleanly
        }
    }

    /** A checked façade: a MemoryBlock's segment kept past region close throws, never crashes. */
    private static void checkedBlockAfterRegionClose() {
        OffHeap memory = OffHeap.builder().name("checked-blocks").reserve(1L << 30).checked(true).build();
        MemoryBlock block = memory.allocateBlock(64);
        MemorySegment s = block.segment();
        s.set(ValueLayout.JAVA_LONG, 0, 1L);
        memory.region().close();
        try {
            s.set(ValueLayout.JAVA_LONG, 0, 2L);
            throw new AssertionError("a checked block's segment wrote after its region closed");
        } catch (IllegalStateException expected) {
            // the block's scope closed with the region
        }
        try {
            memory.allocateBlock(64);
            throw new AssertionError("an allocation after the region closed succeeded");
        } catch (IllegalStateException expected) {
            if (!expected.getMessage().contains("checked-blocks")) {
                throw new AssertionError("the message does not name the region: " + expected.getMessage());
            }
        }
    }
}
