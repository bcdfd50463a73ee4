package dev.offheap.allocator.internal;

import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;

import java.lang.foreign.MemorySegment;

/**
 * Memory for one allocator's metadata only: a {@link Region} of its own, mapped through the same
 * {@code mmap} as user memory but never the region that holds user blocks, so an overrun of a user
 * block cannot reach it. Two ways to take from it:
 * <ul>
 *   <li>{@link #allocate}: a slice cut by a bump pointer from spans of {@code bumpSpanBytes}, kept
 *       until {@link #close()}: for records that live as long as the allocator (the free list's
 *       generation counters). Nothing is given back one by one.
 *   <li>{@link #lend} and {@link #retire}: a span of whole chunks for a storage that is replaced
 *       while lock-free readers may still hold the old one (a hash table that grows). Retiring
 *       closes the span's scope first (a handshake with every thread, about 0.3 ms), so a reader
 *       still on it throws {@link IllegalStateException} instead of reading what the chunks hold
 *       when they are lent again; the chunks then decay back to the OS like any idle chunk.
 * </ul>
 * A span taken from a region that commits ahead is mostly resident already: a slot table from the
 * JDK's arena cost 20–33 µs of a 16 B-class carve on a 2-core VM (a 24 KiB {@code malloc}, its
 * zero-fill, six page faults).
 *
 * <p>Thread-safety: not thread-safe; the owner calls it under its lock. {@link #close()} may race
 * readers: their accesses throw {@link IllegalStateException}.
 */
public final class MetadataMemory implements AutoCloseable {
    private final Region region;
    private final long bumpSpanBytes;
    private Span current;
    private long used;
    private long lentBytes;

    /**
     * @param name the region's name
     * @param reserveBytes address space for metadata
     * @param chunkBytes the region's chunk: a power of two from the page size, the unit of {@link #lend}
     * @param bumpSpanBytes the span {@link #allocate} cuts from, a multiple of {@code chunkBytes}
     * @param commitAheadBytes what the region keeps committed ahead of need (0: nothing)
     */
    public MetadataMemory(String name, long reserveBytes, long chunkBytes, long bumpSpanBytes, long commitAheadBytes) {
        this.bumpSpanBytes = bumpSpanBytes;
        this.region = Region.builder().name(name).reserve(Math.min(Region.MAX_RESERVE_BYTES, reserveBytes))
                .chunkSize(chunkBytes).commitAhead(commitAheadBytes).build();
    }

    /** {@return {@code byteSize} bytes, 8-byte aligned, zero unless recycled by the caller; kept until close} */
    public MemorySegment allocate(long byteSize) {
        long aligned = (byteSize + 7) & -8L;
        if (current == null || used + aligned > current.byteSize()) {
            current = region.acquire(Math.max(bumpSpanBytes, aligned)); // the rest of the old span stays unused
            used = 0;
        }
        MemorySegment slice = current.segment().asSlice(used, byteSize);
        used += aligned;
        return slice;
    }

    /** {@return a span of at least {@code byteSize} bytes, all zero, for one storage that {@link #retire} gives back} */
    public Span lend(long byteSize) {
        Span span = region.acquire(byteSize);
        if (!span.zeroed()) {
            span.segment().fill((byte) 0); // chunks retired before and lent again before their decay
        }
        lentBytes += span.byteSize();
        return span;
    }

    /**
     * Gives a lent span back and closes its scope: every segment of it throws from now on.
     *
     * @param span a span {@link #lend} returned, not retired yet
     */
    public void retire(Span span) {
        region.releaseAndInvalidate(span);
        lentBytes -= span.byteSize();
    }

    /** {@return bytes of spans lent and not retired} */
    public long lentBytes() {
        return lentBytes;
    }

    /** Gives idle chunks (retired spans) back to the OS now; {@return the bytes given back} */
    public long trim() {
        return region.trim();
    }

    /** Closes the region: any racing access to the metadata throws {@link IllegalStateException}. */
    @Override
    public void close() {
        region.close();
    }
}
