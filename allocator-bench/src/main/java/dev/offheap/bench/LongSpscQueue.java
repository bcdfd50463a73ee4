package dev.offheap.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A bounded single-producer single-consumer queue of non-zero {@code long}s (a Lamport ring), to
 * hand blocks from one benchmark thread to another without garbage.
 *
 * <p>Thread-safe for exactly one producer thread ({@link #offer}) and one consumer thread
 * ({@link #poll}). The producer writes the slot, then publishes it with a release store of
 * {@code tail}; the consumer reads {@code tail} with acquire, reads and clears the slot, then
 * returns it with a release store of {@code head}, which the producer reads with acquire.
 */
public final class LongSpscQueue {
    private static final VarHandle HEAD;
    private static final VarHandle TAIL;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            HEAD = lookup.findVarHandle(LongSpscQueue.class, "head", long.class);
            TAIL = lookup.findVarHandle(LongSpscQueue.class, "tail", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long[] slots;
    private final int mask;
    // Padding keeps head and tail, written by different threads, off one cache line.
    @SuppressWarnings("unused")
    private long p1, p2, p3, p4, p5, p6, p7;
    private long head; // next slot to poll; written by the consumer only
    @SuppressWarnings("unused")
    private long q1, q2, q3, q4, q5, q6, q7;
    private long tail; // next slot to fill; written by the producer only

    /**
     * @param capacity a power of two, at least 2
     * @throws IllegalArgumentException if it is not
     */
    public LongSpscQueue(int capacity) {
        if (capacity < 2 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two >= 2: capacity=" + capacity);
        }
        slots = new long[capacity];
        mask = capacity - 1;
    }

    /**
     * Adds {@code value} unless the queue is full. Producer thread only.
     *
     * @param value a non-zero value
     * @return false if the queue was full (nothing added)
     */
    public boolean offer(long value) {
        long t = tail; // plain: only this thread writes it
        if (t - (long) HEAD.getAcquire(this) == slots.length) {
            return false;
        }
        slots[(int) t & mask] = value;
        TAIL.setRelease(this, t + 1); // publishes the slot just written
        return true;
    }

    /** {@return whether the queue is full now} Producer thread only. */
    public boolean isFull() {
        return tail - (long) HEAD.getAcquire(this) == slots.length;
    }

    /** {@return the oldest value, or 0 if the queue is empty} Consumer thread only. */
    public long poll() {
        long h = head; // plain: only this thread writes it
        if (h == (long) TAIL.getAcquire(this)) {
            return 0;
        }
        int index = (int) h & mask;
        long value = slots[index];
        slots[index] = 0;
        HEAD.setRelease(this, h + 1); // hands the slot back to the producer
        return value;
    }
}
