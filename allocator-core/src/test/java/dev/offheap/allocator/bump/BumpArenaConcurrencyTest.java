package dev.offheap.allocator.bump;

import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.testing.Patterns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A shared arena under several threads: blocks never overlap and keep their bytes; closing it
 * under the threads' feet gives each a clear {@link IllegalStateException}; the byte counts may be
 * read from any thread at any time; a confined arena refuses every other thread.
 */
class BumpArenaConcurrencyTest {
    private static final long CHUNK = 64 << 10;

    record Block(MemorySegment segment, long id) {
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {2, 4, 8})
    void aSharedArenaNeverHandsOutOverlappingBlocks(int threads) throws Exception {
        try (Region region = Region.builder().reserve(4096 * CHUNK).chunkSize(CHUNK).build();
             BumpArena arena = BumpArena.builder().region(region).shared(true).build()) {
            List<List<Block>> perThread = new CopyOnWriteArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                workers.add(Thread.ofPlatform().start(() -> {
                    try {
                        SplittableRandom random = new SplittableRandom(me);
                        List<Block> mine = new ArrayList<>();
                        perThread.add(mine);
                        start.await();
                        for (int i = 0; i < 20_000 / threads; i++) {
                            long size = random.nextInt(50) == 0 ? random.nextLong(1, 2 * CHUNK) : random.nextLong(1, 300);
                            long alignment = 1L << random.nextInt(7);
                            MemorySegment block = random.nextBoolean() ? arena.allocate(size, alignment)
                                    : MemorySegment.ofAddress(arena.allocateAddress(size, alignment)).reinterpret(size);
                            if (block.address() % alignment != 0 || !Patterns.isZero(block)) {
                                throw new AssertionError("misaligned or dirty block: " + block);
                            }
                            long id = (long) me << 32 | i;
                            Patterns.fill(block, id);
                            mine.add(new Block(block, id));
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread w : workers) {
                w.join();
            }
            assertNull(failure.get(), () -> "a worker failed: " + failure.get());
            List<Block> all = new ArrayList<>();
            perThread.forEach(all::addAll);
            long bytes = 0;
            for (Block b : all) {
                assertTrue(Patterns.holds(b.segment, b.id), "block " + b.id + " overwritten");
                bytes += b.segment.byteSize();
            }
            all.sort(Comparator.comparingLong(b -> b.segment.address()));
            for (int i = 1; i < all.size(); i++) {
                MemorySegment prev = all.get(i - 1).segment;
                assertTrue(prev.address() + prev.byteSize() <= all.get(i).segment.address(), "blocks overlap");
            }
            assertTrue(arena.usedBytes() >= bytes);
            assertEquals(arena.committedBytes(), region.usedBytes());
        }
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {2, 4, 8})
    void closingASharedArenaUnderLoadGivesEveryThreadAClearException(int threads) throws Exception {
        try (Region region = Region.builder().reserve(4096 * CHUNK).chunkSize(CHUNK).build()) {
            BumpArena arena = BumpArena.builder().region(region).shared(true).build();
            AtomicLong ops = new AtomicLong();
            AtomicLong refusals = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                workers.add(Thread.ofPlatform().start(() -> {
                    SplittableRandom random = new SplittableRandom(me);
                    List<MemorySegment> mine = new ArrayList<>();
                    while (true) {
                        try {
                            MemorySegment block = arena.allocate(random.nextLong(8, 4096), 8);
                            block.set(ValueLayout.JAVA_LONG, 0, me);
                            mine.add(block);
                            for (MemorySegment b : mine.subList(Math.max(0, mine.size() - 8), mine.size())) {
                                b.get(ValueLayout.JAVA_LONG, 0);
                            }
                            arena.usedBytes();
                            arena.committedBytes();
                            if (random.nextInt(100) == 0) {
                                long mark = arena.mark();
                                try {
                                    arena.reset(mark);
                                } catch (IllegalArgumentException overtaken) {
                                    // Another thread reset below this mark between the two calls:
                                    // the documented refusal of a mark past the position, not a failure.
                                    if (!overtaken.getMessage().startsWith("mark is not from this arena or lies past the current position")) {
                                        throw overtaken;
                                    }
                                }
                            }
                            ops.incrementAndGet();
                        } catch (IllegalStateException closed) {
                            refusals.incrementAndGet();
                            return;
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                            return;
                        }
                    }
                }));
            }
            while (ops.get() < 500L * threads && failure.get() == null) {
                Thread.onSpinWait();
            }
            arena.close();
            for (Thread w : workers) {
                w.join();
            }
            assertNull(failure.get(), () -> "a worker saw something other than IllegalStateException: " + failure.get());
            assertEquals(threads, refusals.get());
            assertEquals(0, region.usedBytes(), "every span back in the region");
        }
    }

    @Test
    void theByteCountsMayBeReadFromAnyThreadWhileTheOwnerGrowsAndClosesTheArena() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (Region region = Region.builder().reserve(4096 * CHUNK).chunkSize(CHUNK).build()) {
            for (int round = 0; round < 300 && failure.get() == null; round++) {
                BumpArena arena = BumpArena.builder().region(region).build();
                AtomicBoolean done = new AtomicBoolean();
                Thread reader = Thread.ofPlatform().start(() -> {
                    try {
                        while (!done.get()) {
                            if (arena.committedBytes() < 0 || arena.usedBytes() < 0) {
                                throw new AssertionError("negative count");
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                for (int i = 0; i < 12; i++) {
                    arena.allocate(CHUNK, 8); // a span each
                }
                arena.close();
                done.set(true);
                reader.join();
            }
        }
        assertNull(failure.get(), () -> "reading the counts from another thread failed: " + failure.get());
    }

    @Test
    void aConfinedArenaRefusesEveryOtherThreadAndItsSegmentsAreReadableEverywhere() throws Exception {
        try (BumpArena arena = BumpArena.builder().reserve(16 * CHUNK).build()) {
            MemorySegment block = arena.allocate(64, 8);
            block.set(ValueLayout.JAVA_LONG, 0, 42L);
            long mark = arena.mark();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread other = Thread.ofPlatform().start(() -> {
                try {
                    assertThrows(WrongThreadException.class, () -> arena.allocate(8, 8));
                    assertThrows(WrongThreadException.class, () -> arena.allocateAddress(8, 8));
                    assertThrows(WrongThreadException.class, arena::mark);
                    assertThrows(WrongThreadException.class, () -> arena.reset(mark));
                    assertThrows(WrongThreadException.class, arena::reset);
                    assertThrows(WrongThreadException.class, arena::close);
                    assertEquals(42L, block.get(ValueLayout.JAVA_LONG, 0));
                    block.set(ValueLayout.JAVA_LONG, 0, 43L);
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            other.join();
            assertNull(failure.get(), () -> String.valueOf(failure.get()));
            assertEquals(43L, block.get(ValueLayout.JAVA_LONG, 0), "the arena is intact and still the owner's");
            assertEquals(64, arena.allocate(64, 8).byteSize());
        }
    }
}
