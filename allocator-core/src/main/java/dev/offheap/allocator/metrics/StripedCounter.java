package dev.offheap.allocator.metrics;

import dev.offheap.allocator.internal.Checks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A counter that many threads add to without contending: each thread adds to one of a fixed set of
 * cells, each on a cache line of its own, chosen by the thread's id; {@link #sum()} adds the cells.
 *
 * <p>Thread-safety: thread-safe. {@link #add(long)} may be called from any thread; {@link #sum()}
 * from any thread, concurrently with adds.
 *
 * <h2>Why not {@link java.util.concurrent.atomic.LongAdder}</h2>
 * A {@code LongAdder} CASes one shared {@code base} field on every add until it has seen contention:
 * in the common, quiet case every thread of the process writes the same cache line, and the first
 * contended add costs a failed CAS plus an allocation of its cell table. Here there is no shared
 * word at all: the cells exist from the start, a thread always goes to the cell its id picks, and
 * the add is one {@code getAndAdd} (x86 {@code LOCK XADD}, aarch64 {@code LDADD}) — an atomic
 * instruction that cannot fail and never loops, on a line that stays in the adding core's cache
 * while no other thread maps to the same cell. Two threads share a cell only when their ids
 * collide modulo the cell count (at least twice the processor count), and even then both adds
 * succeed, just slower.
 *
 * <p>Why not per-thread plain fields (a {@code ThreadLocal} cell written with plain stores): the
 * {@code ThreadLocal} lookup costs about as much as the atomic add, and the cells of every thread
 * that ever touched the counter must be kept and found at read time, which needs a registry with a
 * lock and outlives the counter's owner in each thread's map. Allocators whose hot path is
 * already confined to one thread (a bump arena, a thread's magazine) should count in a plain field
 * of that thread's structure instead, and sum those on read; this counter is for the paths that
 * any thread may take (remote frees, failures, slow paths).
 *
 * <h2>Exactness</h2>
 * Every add lands exactly once (atomic), so once the adding threads are done (joined, or otherwise
 * ordered before the reader), {@link #sum()} is exact. While adds run, {@code sum()} reads each cell
 * once (opaque, so no torn or stale-forever values) and returns a value that every cell had at some
 * moment during the call, the usual contract of a striped counter.
 */
public final class StripedCounter {
    /** Longs per cell: 128 bytes, two cache lines, so the adjacent-line prefetcher does not pair cells. */
    private static final int STRIDE = 16;
    /** At most this many cells: enough to spread 32+ busy cores, 8 KiB per counter. */
    private static final int MAX_CELLS = 64;
    private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);

    /** Cell {@code i} is {@code cells[(i + 1) * STRIDE]}; the first STRIDE longs pad the array header. */
    private final long[] cells;
    private final int mask;

    /** Makes a counter with a cell count fitted to the machine: the next power of two ≥ 2 × processors. */
    public StripedCounter() {
        this(Runtime.getRuntime().availableProcessors() * 2);
    }

    /**
     * Makes a counter with at least {@code minCells} cells (rounded up to a power of two, at most 64).
     *
     * @param minCells the least number of cells wanted
     * @throws IllegalArgumentException if {@code minCells <= 0}
     */
    public StripedCounter(int minCells) {
        Checks.checkPositive("minCells", minCells);
        // The next power of two >= minCells, capped.
        int count = minCells >= MAX_CELLS ? MAX_CELLS : Integer.highestOneBit(minCells * 2 - 1);
        this.mask = count - 1;
        this.cells = new long[(count + 2) * STRIDE]; // one padding cell before and one after
    }

    /** {@return the number of cells} */
    public int cellCount() {
        return mask + 1;
    }

    /** Adds one. */
    public void increment() {
        add(1);
    }

    /**
     * Adds {@code delta} (negative to subtract) to the calling thread's cell.
     *
     * @param delta the amount
     */
    public void add(long delta) {
        // getAndAddRelease: the add itself is atomic (what makes the sum exact); release adds no
        // fence on x86/aarch64 and orders nothing the reader relies on — it only keeps the
        // increment from being hoisted above the operation it counts.
        CELLS.getAndAddRelease(cells, index(Thread.currentThread()), delta);
    }

    /** {@return the sum of all cells, exact once the adders are done} */
    public long sum() {
        long sum = 0;
        for (int i = 0; i <= mask; i++) {
            sum += (long) CELLS.getOpaque(cells, (i + 1) * STRIDE); // opaque: each cell's latest value
        }
        return sum;
    }

    private int index(Thread thread) {
        // Thread ids are sequential: a multiplicative hash spreads neighbours over the cells.
        long h = thread.threadId() * 0x9E3779B97F4A7C15L;
        return ((int) (h >>> 32) & mask) * STRIDE + STRIDE;
    }

    @Override
    public String toString() {
        return Long.toString(sum());
    }
}
