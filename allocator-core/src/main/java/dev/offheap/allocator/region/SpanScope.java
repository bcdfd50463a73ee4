package dev.offheap.allocator.region;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The scope and segment of one run of chunks, kept from one lending of the run to the next so that
 * releasing a span does not cost a scope close (a handshake with every thread, about 0.3 ms).
 *
 * <p>The scope closes only before the run's memory is decommitted or unmapped, or when an acquire
 * needs a run that only partly overlaps this one: a segment carved from any lending of the run
 * reaches committed memory (whatever is lent there now) until then, and throws after.
 *
 * <p>Thread-safety: guarded by the region's lock.
 */
final class SpanScope {
    final int firstChunk;
    final int chunkCount;
    final Arena arena;
    final MemorySegment segment;
    boolean closed;

    SpanScope(int firstChunk, int chunkCount, long address, long byteSize) {
        this.firstChunk = firstChunk;
        this.chunkCount = chunkCount;
        this.arena = Arena.ofShared();
        this.segment = MemorySegment.ofAddress(address).reinterpret(byteSize, arena, null);
    }

    /**
     * Closes the scope, so every segment carved from the run throws from now on.
     *
     * @throws IllegalStateException if one of its segments is in use by a native call right now
     */
    void close() {
        if (!closed) {
            arena.close();
            closed = true;
        }
    }
}
