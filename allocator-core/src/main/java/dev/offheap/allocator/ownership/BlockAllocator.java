package dev.offheap.allocator.ownership;

import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.LeakListener;
import dev.offheap.allocator.LeakReport;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.internal.Checks;
import dev.offheap.allocator.internal.LeakReporter;
import dev.offheap.allocator.metrics.StripedCounter;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Hands out {@link MemoryBlock}s, object handles that own one block of any {@link HandleAllocator}
 * (the slab, the free list, the façade), and watches them for leaks.
 *
 * <p>Thread-safety: thread-safe. Allocation and free each add to two striped counters
 * ({@code StripedCounter}: one atomic add on a cell of the thread's own, no shared word; with
 * {@code LongAdder} these four adds took 8 % of the memcached example's event-loop samples); a
 * watched block (see {@link LeakDetection}) is also registered with a shared {@link Cleaner} and, for
 * {@code PARANOID}, kept in a concurrent set so that {@link #close()} can name its allocation site.
 *
 * <h2>Leaks</h2>
 * <ul>
 *   <li>A watched block that becomes unreachable while it still owns its memory is reported
 *       ({@link LeakReport.Cause#UNREACHABLE}) from the Cleaner's thread. The memory is <em>not</em>
 *       freed then: a segment taken from the block may still be reachable, and freeing would let it
 *       alias the next block (Netty does the same).</li>
 *   <li>{@link #close()} reports every block made here and still owned
 *       ({@link LeakReport.Cause#OUTSTANDING_AT_CLOSE}), whatever the level, with allocation sites
 *       under {@code PARANOID} — unless {@link Builder#allocatorReportsAtClose(boolean)} says the
 *       allocator's own close reports them (as the façade's ranges do), so each block is reported
 *       at close once.</li>
 * </ul>
 * Reports go through the library's one leak path (the {@link LeakListener}, default
 * {@link LeakListener#logging()}, and the JFR leak event) and are counted in
 * {@link #leaksReported()}. A block is counted once: one found unreachable is not counted again at
 * close. Its memory was never freed, though, so the allocator's own close (which knows nothing of
 * block handles) reports it among its blocks still live.
 *
 * <p>Checked mode (poison, canaries, a scope per block) is the allocator's switch, for example
 * {@link dev.offheap.allocator.slab.SlabAllocator.Builder#checked(boolean)}: a block's
 * {@link MemoryBlock#segment()} is then the allocator's per-block segment, which the JVM refuses to
 * touch once the block is closed.
 *
 * {@snippet :
 * try (SlabAllocator slab = SlabAllocator.builder().build();
 *      BlockAllocator blocks = BlockAllocator.over(slab).build();
 *      MemoryBlock block = blocks.allocate(64)) {
 *     block.segment().set(ValueLayout.JAVA_LONG, 0, 42L);
 * }
 * }
 */
public final class BlockAllocator implements AutoCloseable {
    /** Default for {@link Builder#samplingInterval(int)}: one block in 128 is watched, as Netty. */
    public static final int DEFAULT_SAMPLING_INTERVAL = 128;
    private static final Cleaner CLEANER = Cleaner.create();

    private final HandleAllocator allocator;
    private final LeakDetection level;
    private final int samplingInterval;
    private final LeakReporter leakReporter;
    private final boolean allocatorReportsAtClose;
    private final StripedCounter liveBlocks = new StripedCounter();
    private final StripedCounter liveBytes = new StripedCounter();
    /** PARANOID only: trackers of blocks still owned, for their sites at close. */
    private final Set<LeakTracker> tracked = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private BlockAllocator(Builder b) {
        this.allocator = b.allocator;
        this.level = b.level;
        this.samplingInterval = b.samplingInterval;
        this.leakReporter = new LeakReporter(b.allocator.name(), b.listener);
        this.allocatorReportsAtClose = b.allocatorReportsAtClose;
    }

    /**
     * {@return a builder of block handles over {@code allocator}} The allocator stays the caller's
     * to close.
     *
     * @param allocator any handle allocator
     */
    public static Builder over(HandleAllocator allocator) {
        return new Builder(Objects.requireNonNull(allocator, "allocator"));
    }

    /**
     * Allocates a block that any thread may use, close or move.
     *
     * @param byteSize the bytes wanted, within what the allocator serves
     * @return the block, owned by the caller
     * @throws IllegalArgumentException if the allocator refuses the size
     * @throws OutOfOffHeapMemoryException if memory or the limit is exhausted
     * @throws IllegalStateException if this block allocator or its allocator is closed
     */
    public MemoryBlock allocate(long byteSize) {
        return allocate(byteSize, null, null);
    }

    /**
     * Allocates a block confined to the calling thread: any use of it from another thread throws
     * {@link WrongThreadException} until it is {@linkplain MemoryBlock#moveTo(Thread) moved}.
     *
     * @param byteSize the bytes wanted, within what the allocator serves
     * @return the block, owned by the caller and confined to its thread
     * @throws IllegalArgumentException if the allocator refuses the size
     * @throws OutOfOffHeapMemoryException if memory or the limit is exhausted
     * @throws IllegalStateException if this block allocator or its allocator is closed
     */
    public MemoryBlock allocateConfined(long byteSize) {
        return allocate(byteSize, Thread.currentThread(), null);
    }

    MemoryBlock allocate(long byteSize, Thread ownerThread, Throwable carriedSite) {
        ensureOpen();
        long handle = allocator.allocate(byteSize);
        return adopt(handle, allocator.byteSize(handle), ownerThread, carriedSite, true);
    }

    /** Wraps a handle in a new block, registering it for leak watch as the level says. */
    MemoryBlock adopt(long handle, long byteSize, Thread ownerThread, Throwable site, boolean fresh) {
        LeakTracker tracker = null;
        if (level == LeakDetection.PARANOID) {
            tracker = new LeakTracker(this, byteSize,
                    site != null ? site : new Throwable("allocation site of a " + byteSize + "-byte block, allocator="
                            + allocator.name()));
            tracked.add(tracker);
        } else if (level == LeakDetection.SAMPLED
                && ThreadLocalRandom.current().nextInt(samplingInterval) == 0) {
            tracker = new LeakTracker(this, byteSize, null);
        }
        if (fresh) {
            liveBlocks.increment();
            liveBytes.add(byteSize);
        }
        MemoryBlock block = new MemoryBlock(this, handle, byteSize, ownerThread, tracker);
        if (tracker != null) {
            block.cleanable = CLEANER.register(block, tracker);
        }
        return block;
    }

    /** The block's owner closed it: free and stop watching. */
    void freed(MemoryBlock block, LeakTracker tracker) {
        released(tracker, block);
        liveBlocks.add(-1);
        liveBytes.add(-block.byteSizeUnchecked());
    }

    /** The block was closed or moved: its tracker must not report it. */
    void released(LeakTracker tracker, MemoryBlock block) {
        if (tracker != null) {
            tracker.released = true;
            tracked.remove(tracker);
            block.cleanable.clean(); // deregisters; the action sees released and does nothing
        }
    }

    /** A watched block was found unreachable: report it once, and not again at close. */
    void reportLeak(LeakReport report, LeakTracker tracker) {
        tracked.remove(tracker);
        liveBlocks.add(-1);
        liveBytes.add(-tracker.byteSize);
        leakReporter.report(report.cause(), report.blocks(), report.bytes(), report.allocationSites());
    }

    /** {@return the allocator the blocks come from} */
    public HandleAllocator allocator() {
        return allocator;
    }

    /** {@return the leak detection level} */
    public LeakDetection leakDetection() {
        return level;
    }

    /** {@return blocks made here and neither closed nor reported unreachable (a moved block counts once)} */
    public long liveBlocks() {
        return liveBlocks.sum();
    }

    /** {@return blocks reported leaked so far, by either cause} */
    public long leaksReported() {
        return leakReporter.leakedBlocks();
    }

    /** {@return the usable bytes of the blocks reported leaked so far} */
    public long leakedBytes() {
        return leakReporter.leakedBytes();
    }

    /**
     * Reports every block still owned as a leak (unless the allocator reports them at its own close,
     * see {@link Builder#allocatorReportsAtClose(boolean)}) and refuses new allocations. It does not
     * free the blocks (a segment taken from one may still be reachable) nor close the allocator.
     * Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        long blocks = liveBlocks.sum();
        if (blocks > 0 && !allocatorReportsAtClose) {
            List<Throwable> sites = new ArrayList<>();
            for (LeakTracker tracker : tracked) {
                if (sites.size() == LeakReport.MAX_SITES) {
                    break;
                }
                sites.add(tracker.site);
            }
            leakReporter.outstandingAtClose(blocks, liveBytes.sum(), sites);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("block allocator is closed: allocator=" + allocator.name());
        }
    }

    /**
     * Settings of a block allocator.
     *
     * <p>Thread-safety: not thread-safe; build on one thread.
     */
    public static final class Builder {
        private final HandleAllocator allocator;
        private LeakDetection level = LeakDetection.SAMPLED;
        private int samplingInterval = DEFAULT_SAMPLING_INTERVAL;
        private LeakListener listener = LeakListener.logging();
        private boolean allocatorReportsAtClose;

        private Builder(HandleAllocator allocator) {
            this.allocator = allocator;
        }

        /**
         * @param level how closely blocks are watched (default {@link LeakDetection#SAMPLED})
         * @return this builder
         */
        public Builder leakDetection(LeakDetection level) {
            this.level = Objects.requireNonNull(level, "level");
            return this;
        }

        /**
         * @param interval under {@code SAMPLED}, one block in {@code interval} is watched
         * @return this builder
         * @throws IllegalArgumentException if {@code interval <= 0}
         */
        public Builder samplingInterval(int interval) {
            this.samplingInterval = (int) Checks.checkPositive("samplingInterval", interval);
            return this;
        }

        /**
         * @param listener receives leak reports
         * @return this builder
         */
        public Builder leakListener(LeakListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * @param reports {@code true} when the allocator's own close reports every block still live
         *        through the same listener (the façade's ranges do): {@link BlockAllocator#close()}
         *        then reports nothing, so each block is reported at close once. Default
         *        {@code false}: the block allocator reports them, with their sites under
         *        {@code PARANOID}
         * @return this builder
         */
        public Builder allocatorReportsAtClose(boolean reports) {
            this.allocatorReportsAtClose = reports;
            return this;
        }

        /** {@return the block allocator} */
        public BlockAllocator build() {
            return new BlockAllocator(this);
        }
    }
}
