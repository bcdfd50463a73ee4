package dev.offheap.examples.memcached;

import java.util.concurrent.atomic.LongAdder;

/**
 * The counters memcached reports in {@code stats}, under memcached's names, kept without
 * contention ({@link LongAdder}) by the store and the connections.
 *
 * <p>Thread-safety: thread-safe.
 */
final class StoreStats {
    final LongAdder cmdGet = new LongAdder();
    final LongAdder cmdSet = new LongAdder();
    final LongAdder cmdFlush = new LongAdder();
    final LongAdder cmdTouch = new LongAdder();
    final LongAdder getHits = new LongAdder();
    final LongAdder getMisses = new LongAdder();
    final LongAdder getExpired = new LongAdder();
    final LongAdder getFlushed = new LongAdder();
    final LongAdder deleteHits = new LongAdder();
    final LongAdder deleteMisses = new LongAdder();
    final LongAdder incrHits = new LongAdder();
    final LongAdder incrMisses = new LongAdder();
    final LongAdder decrHits = new LongAdder();
    final LongAdder decrMisses = new LongAdder();
    final LongAdder casHits = new LongAdder();
    final LongAdder casMisses = new LongAdder();
    final LongAdder casBadval = new LongAdder();
    final LongAdder touchHits = new LongAdder();
    final LongAdder touchMisses = new LongAdder();
    final LongAdder totalItems = new LongAdder();
    final LongAdder evictions = new LongAdder();
    final LongAdder reclaimed = new LongAdder();
    final LongAdder outOfMemory = new LongAdder();
    final LongAdder tooLarge = new LongAdder();
    final LongAdder bytesRead = new LongAdder();
    final LongAdder bytesWritten = new LongAdder();
    final LongAdder totalConnections = new LongAdder();
    final LongAdder rejectedConnections = new LongAdder();
    final LongAdder currConnections = new LongAdder();
    final LongAdder protocolErrors = new LongAdder();

    /** What {@code stats reset} resets: the counters, not the gauges (items, connections). */
    void reset() {
        for (LongAdder a : new LongAdder[] {cmdGet, cmdSet, cmdFlush, cmdTouch, getHits, getMisses, getExpired,
                getFlushed, deleteHits, deleteMisses, incrHits, incrMisses, decrHits, decrMisses, casHits, casMisses,
                casBadval, touchHits, touchMisses, totalItems, evictions, reclaimed, outOfMemory, tooLarge,
                bytesRead, bytesWritten, totalConnections, rejectedConnections, protocolErrors}) {
            a.reset();
        }
    }
}
