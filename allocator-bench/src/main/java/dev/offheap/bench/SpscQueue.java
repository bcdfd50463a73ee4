package dev.offheap.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A bounded single-producer single-consumer queue of objects: {@link LongSpscQueue} for peers
 * whose blocks are objects.
 *
 * <p>Thread-safe for exactly one producer thread and one consumer thread, with the same release /
 * acquire pairs as {@link LongSpscQueue}.
 *
 * @param <E> the element type
 */
public final class SpscQueue<E> {
    private static final VarHandle HEAD;
    private static final VarHandle TAIL;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            HEAD = lookup.findVarHandle(SpscQueue.class, "head", long.class);
            TAIL = lookup.findVarHandle(SpscQueue.class, "tail", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Object[] slots;
    private final int mask;
    @SuppressWarnings("unused")
    private long p1, p2, p3, p4, p5, p6, p7;
    private long head; // written by the consumer only
    @SuppressWarnings("unused")
    private long q1, q2, q3, q4, q5, q6, q7;
    private long tail; // written by the producer only

    /**
     * @param capacity a power of two, at least 2
     * @throws IllegalArgumentException if it is not
     */
    public SpscQueue(int capacity) {
        if (capacity < 2 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two >= 2: capacity=" + capacity);
        }
        slots = new Object[capacity];
        mask = capacity - 1;
    }

    /** {@return whether the queue is full now} Producer thread only. */
    public boolean isFull() {
        return tail - (long) HEAD.getAcquire(this) == slots.length;
    }

    /**
     * Adds {@code value} unless the queue is full. Producer thread only.
     *
     * @param value a non-null value
     * @return false if the queue was full (nothing added)
     */
    public boolean offer(E value) {
        long t = tail;
        if (t - (long) HEAD.getAcquire(this) == slots.length) {
            return false;
        }
        slots[(int) t & mask] = value;
        TAIL.setRelease(this, t + 1); // publishes the slot just written
        return true;
    }

    /** {@return the oldest value, or null if the queue is empty} Consumer thread only. */
    @SuppressWarnings("unchecked")
    public E poll() {
        long h = head;
        if (h == (long) TAIL.getAcquire(this)) {
            return null;
        }
        int index = (int) h & mask;
        E value = (E) slots[index];
        slots[index] = null;
        HEAD.setRelease(this, h + 1); // hands the slot back to the producer
        return value;
    }
}
