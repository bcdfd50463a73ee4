package dev.offheap.examples.soak;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Spans of one shared region with a limit: acquire, write, hand over to another thread, release,
 * trim, and now and then a double release that must be refused.
 *
 * <p>Thread-safety: see {@link SoakWorkload}.
 */
final class RegionWorkload implements SoakWorkload {
    private record Held(Span span, long tag) {
    }

    /** Spans one worker holds at most: the limit is pressed by bursts, not by steady growth. */
    private static final int MAX_HELD = 6;

    /** Spans waiting in the hand-over queue at most; unbounded, it would drift like a random walk. */
    private static final int MAX_HANDED_OVER = 16;

    private final Region region = Region.builder().name("soak-region").limit(96L << 20)
            .decay(Duration.ofMillis(100)).build();
    private final ConcurrentLinkedQueue<Held> handedOver = new ConcurrentLinkedQueue<>();

    @Override
    public String name() {
        return "region";
    }

    @Override
    public Worker newWorker(SoakStats stats) {
        return new Worker() {
            private final List<Held> mine = new ArrayList<>();
            private Span lastReleased;
            private long tags;

            @Override
            public void step(SplittableRandom random) {
                int dice = random.nextInt(100);
                if ((dice < 40 && mine.size() < MAX_HELD) || mine.isEmpty()) {
                    try {
                        Span span = region.acquire(random.nextLong(1, 4L << 20));
                        long tag = (Thread.currentThread().threadId() << 40) ^ tags++;
                        Patterns.write(span.segment(), tag);
                        mine.add(new Held(span, tag));
                    } catch (OutOfOffHeapMemoryException limit) {
                        stats.refusals.increment();
                    }
                } else if (dice < 75 && !mine.isEmpty()) {
                    release(mine.remove(random.nextInt(mine.size())));
                } else if (dice < 85 && !mine.isEmpty() && handedOver.size() < MAX_HANDED_OVER) {
                    handedOver.add(mine.remove(random.nextInt(mine.size())));
                } else if (dice < 95) {
                    Held other = handedOver.poll();
                    if (other != null) {
                        release(other);
                    }
                } else if (dice < 97) {
                    region.trim();
                } else if (lastReleased != null) {
                    try {
                        region.release(lastReleased);
                        stats.unexpected(new AssertionError("a double release was accepted"));
                    } catch (IllegalStateException expected) {
                        stats.errorsCaught.increment();
                    }
                }
                stats.operations.increment();
            }

            private void release(Held held) {
                if (!Patterns.holds(held.span.segment(), held.tag)) {
                    stats.corruptions.increment();
                }
                region.release(held.span);
                lastReleased = held.span;
            }

            @Override
            public void finish() {
                mine.forEach(this::release);
                mine.clear();
                for (Held h; (h = handedOver.poll()) != null; ) {
                    release(h);
                }
            }
        };
    }

    @Override
    public long leakedBytes() {
        return region.usedBytes();
    }

    @Override
    public void close() {
        region.close();
    }
}
