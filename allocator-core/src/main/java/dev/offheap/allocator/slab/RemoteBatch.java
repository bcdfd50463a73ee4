package dev.offheap.allocator.slab;

/**
 * Handles of blocks freed by one cache into pages another cache owns: a message, as snmalloc's. The
 * freer fills it with plain stores and publishes it to the destination's inbox with one CAS; the
 * destination takes its whole inbox with one {@code getAndSet}, frees every block in it, and sends
 * the batch back to its origin (one CAS) for reuse, so batches are not garbage in steady state.
 *
 * <p>Thread-safety: filled by the origin cache's holder, read by the destination's holder after the
 * inbox CAS (happens-before through the inbox), then handed back the same way.
 */
final class RemoteBatch {
    /** Handles per batch: at most this many blocks wait in one open batch. */
    static final int CAPACITY = 64;

    final ThreadCache origin;
    final long[] handles = new long[CAPACITY];
    /** The size class of each block, as it was when freed, for the counters. */
    final byte[] sizeClasses = new byte[CAPACITY];
    int count;
    ThreadCache destination;
    /** The origin's remote-free clock when the batch was opened: its age bound. */
    long openedAt;
    /** Next batch in an inbox, a return stack or the origin's spares. */
    RemoteBatch next;

    RemoteBatch(ThreadCache origin) {
        this.origin = origin;
    }
}
