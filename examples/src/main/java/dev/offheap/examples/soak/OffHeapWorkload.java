package dev.offheap.examples.soak;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.ownership.MemoryBlock;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The {@link OffHeap} façade as a service uses it, shared by every thread: blocks of every size
 * range (slab, free list, large) allocated, patterned, checked and freed; a share of them handed to
 * whichever thread comes next and freed there (cross-thread frees); resizes; object handles; and
 * now and then a double free or a stale access, which must be refused.
 *
 * <p>Thread-safety: see {@link SoakWorkload}.
 */
final class OffHeapWorkload implements SoakWorkload {
    private record Block(long handle, long tag) {
    }

    private final OffHeap memory = OffHeap.builder().name("soak-offheap").limit(256L << 20)
            .decay(Duration.ofMillis(200)).build();
    /** Blocks handed from one thread to another, to be checked and freed there. */
    private final ConcurrentLinkedQueue<Block> handOver = new ConcurrentLinkedQueue<>();

    @Override
    public String name() {
        return "offheap";
    }

    @Override
    public Worker newWorker(SoakStats stats) {
        return new Worker() {
            private final List<Block> live = new ArrayList<>();
            private long tags;

            @Override
            public void step(SplittableRandom random) {
                int dice = random.nextInt(100);
                try {
                    if (dice < 45 || live.isEmpty()) {
                        int range = random.nextInt(100);
                        long size = range < 85 ? random.nextLong(1, 2048)
                                : range < 99 ? random.nextLong(2048, 512 << 10) : random.nextLong(1 << 20, 4 << 20);
                        long handle = memory.allocate(size);
                        long tag = (Thread.currentThread().threadId() << 40) ^ tags++;
                        Patterns.write(memory.segment(handle), tag);
                        live.add(new Block(handle, tag));
                    } else if (dice < 80) {
                        freeChecked(live.remove(random.nextInt(live.size())));
                    } else if (dice < 88) {
                        handOver.add(live.remove(random.nextInt(live.size())));
                    } else if (dice < 93) {
                        Block taken = handOver.poll();
                        if (taken != null) {
                            freeChecked(taken); // most likely made by another thread
                        }
                    } else if (dice < 96) {
                        int i = random.nextInt(live.size());
                        Block b = live.get(i);
                        long moved = memory.resize(b.handle, random.nextLong(1, 256 << 10));
                        MemorySegment s = memory.segment(moved);
                        Patterns.write(s, b.tag);
                        live.set(i, new Block(moved, b.tag));
                    } else if (dice < 98) {
                        try (MemoryBlock block = memory.allocateBlock(random.nextLong(1, 8192))) {
                            Patterns.write(block.segment(), 7);
                            if (!Patterns.holds(block.segment(), 7)) {
                                stats.corruptions.increment();
                            }
                        }
                    } else {
                        long handle = memory.allocate(64);
                        memory.free(handle);
                        try {
                            if (random.nextBoolean()) {
                                memory.free(handle);
                            } else {
                                memory.segment(handle);
                            }
                            stats.unexpected(new AssertionError("a freed handle was accepted"));
                        } catch (DoubleFreeException | UseAfterFreeException expected) {
                            stats.errorsCaught.increment();
                        }
                    }
                } catch (OutOfOffHeapMemoryException limit) {
                    stats.refusals.increment();
                    while (live.size() > 16) {
                        freeChecked(live.remove(live.size() - 1));
                    }
                } finally {
                    stats.operations.increment();
                }
            }

            private void freeChecked(Block b) {
                if (!Patterns.holds(memory.segment(b.handle), b.tag)) {
                    stats.corruptions.increment();
                }
                memory.free(b.handle);
            }

            @Override
            public void finish() {
                for (Block b : live) {
                    freeChecked(b);
                }
                live.clear();
                for (Block b; (b = handOver.poll()) != null; ) {
                    freeChecked(b);
                }
            }
        };
    }

    @Override
    public long leakedBytes() {
        return memory.snapshot().usedBytes();
    }

    @Override
    public void close() {
        memory.close();
    }
}
