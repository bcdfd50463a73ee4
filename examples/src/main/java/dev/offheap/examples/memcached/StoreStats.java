package dev.offheap.examples.memcached;

import dev.offheap.allocator.metrics.StripedCounter;

/**
 * The counters memcached reports in {@code stats}, under memcached's names, kept without
 * contention by the store and the connections: {@link StripedCounter}s, one atomic add on a cell
 * of the thread's own (a {@code LongAdder} CASes a shared base until it sees contention; four of
 * them per get showed in the event loops' samples under memcaslap).
 *
 * <p>Thread-safety: thread-safe.
 */
final class StoreStats {
    final StripedCounter cmdGet = new StripedCounter();
    final StripedCounter cmdSet = new StripedCounter();
    final StripedCounter cmdFlush = new StripedCounter();
    final StripedCounter cmdTouch = new StripedCounter();
    final StripedCounter getHits = new StripedCounter();
    final StripedCounter getMisses = new StripedCounter();
    final StripedCounter getExpired = new StripedCounter();
    final StripedCounter getFlushed = new StripedCounter();
    final StripedCounter deleteHits = new StripedCounter();
    final StripedCounter deleteMisses = new StripedCounter();
    final StripedCounter incrHits = new StripedCounter();
    final StripedCounter incrMisses = new StripedCounter();
    final StripedCounter decrHits = new StripedCounter();
    final StripedCounter decrMisses = new StripedCounter();
    final StripedCounter casHits = new StripedCounter();
    final StripedCounter casMisses = new StripedCounter();
    final StripedCounter casBadval = new StripedCounter();
    final StripedCounter touchHits = new StripedCounter();
    final StripedCounter touchMisses = new StripedCounter();
    final StripedCounter totalItems = new StripedCounter();
    final StripedCounter evictions = new StripedCounter();
    final StripedCounter reclaimed = new StripedCounter();
    final StripedCounter outOfMemory = new StripedCounter();
    final StripedCounter tooLarge = new StripedCounter();
    final StripedCounter bytesRead = new StripedCounter();
    final StripedCounter bytesWritten = new StripedCounter();
    final StripedCounter totalConnections = new StripedCounter();
    final StripedCounter rejectedConnections = new StripedCounter();
    final StripedCounter currConnections = new StripedCounter();
    final StripedCounter protocolErrors = new StripedCounter();

    /** What {@code stats reset} resets: the counters, not the gauges (items, connections). */
    void reset() {
        for (StripedCounter a : new StripedCounter[] {cmdGet, cmdSet, cmdFlush, cmdTouch, getHits, getMisses, getExpired,
                getFlushed, deleteHits, deleteMisses, incrHits, incrMisses, decrHits, decrMisses, casHits, casMisses,
                casBadval, touchHits, touchMisses, totalItems, evictions, reclaimed, outOfMemory, tooLarge,
                bytesRead, bytesWritten, totalConnections, rejectedConnections, protocolErrors}) {
            a.add(-a.sum()); // as LongAdder.reset: exact only without adds racing it
        }
    }
}
