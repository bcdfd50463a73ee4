package dev.offheap.examples.soak;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.allocator.region.Region;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Bump arenas over one shared region: per thread a confined arena (allocate, mark, reset, check
 * zeroing and contents), and one shared arena all threads allocate from; now and then a foreign
 * mark that must be refused.
 *
 * <p>Thread-safety: see {@link SoakWorkload}.
 */
final class BumpWorkload implements SoakWorkload {
    private record Block(MemorySegment segment, long tag) {
    }

    private final Region region = Region.builder().name("soak-bump").limit(512L << 20)
            .decay(Duration.ofMillis(100)).build();
    private final BumpArena shared = BumpArena.builder().region(region).shared(true).build();
    private final long sharedBudget = 64L << 20;

    @Override
    public String name() {
        return "bump";
    }

    @Override
    public Worker newWorker(SoakStats stats) {
        return new Worker() {
            private BumpArena arena;
            private final List<Block> live = new ArrayList<>();
            private final List<long[]> marks = new ArrayList<>(); // {mark, live count}
            private long tags;

            @Override
            public void step(SplittableRandom random) {
                if (arena == null) {
                    arena = BumpArena.ofConfined(region); // confined to the worker's own thread
                }
                int dice = random.nextInt(100);
                try {
                    if (dice < 70) {
                        long size = random.nextInt(20) == 0 ? random.nextLong(1, 1L << 20) : random.nextLong(0, 512);
                        MemorySegment block = arena.allocate(size, 1L << random.nextInt(7));
                        if (!Patterns.isZero(block)) {
                            stats.corruptions.increment();
                        }
                        long tag = (Thread.currentThread().threadId() << 40) ^ tags++;
                        Patterns.write(block, tag);
                        live.add(new Block(block, tag));
                    } else if (dice < 78) {
                        marks.add(new long[] {arena.mark(), live.size()});
                    } else if (dice < 88 && !marks.isEmpty()) {
                        int i = random.nextInt(marks.size());
                        long[] m = marks.get(i);
                        check();
                        arena.reset(m[0]);
                        marks.subList(i + 1, marks.size()).clear();
                        live.subList((int) m[1], live.size()).clear();
                    } else if (dice < 90) {
                        check();
                        arena.reset();
                        marks.clear();
                        live.clear();
                    } else if (dice < 98) {
                        if (shared.usedBytes() > sharedBudget) {
                            return;
                        }
                        MemorySegment block = shared.allocate(random.nextLong(8, 4096), 8);
                        if (!Patterns.isZero(block)) {
                            stats.corruptions.increment();
                        }
                        Patterns.write(block, 42);
                        if (!Patterns.holds(block, 42)) {
                            stats.corruptions.increment();
                        }
                    } else {
                        try {
                            arena.reset(shared.mark());
                            stats.unexpected(new AssertionError("a foreign mark was accepted"));
                        } catch (IllegalArgumentException expected) {
                            stats.errorsCaught.increment();
                        }
                    }
                } catch (OutOfOffHeapMemoryException limit) {
                    stats.refusals.increment();
                    check();
                    arena.reset();
                    marks.clear();
                    live.clear();
                } finally {
                    stats.operations.increment();
                }
            }

            private void check() {
                for (Block b : live) {
                    if (!Patterns.holds(b.segment, b.tag)) {
                        stats.corruptions.increment();
                    }
                }
            }

            @Override
            public void finish() {
                if (arena != null) {
                    check();
                    arena.close();
                }
            }
        };
    }

    @Override
    public long leakedBytes() {
        shared.close();
        return region.usedBytes();
    }

    @Override
    public void close() {
        shared.close();
        region.close();
    }
}
