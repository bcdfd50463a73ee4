package dev.offheap.allocator.slab;

import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;

import java.lang.foreign.MemorySegment;

/**
 * Memory for the slab's slot tables only: a {@link Region} of its own (never the one that holds
 * user blocks), whose spans are cut into tables by a bump pointer. The region commits and
 * pre-faults {@value #AHEAD_CHUNKS} chunk ahead on its committer thread, so a carve takes a slice
 * of memory that is mostly resident already instead of allocating (and page-faulting) a table of
 * its own: a table from the JDK's arena cost 20–33 µs of a 16 B-class carve on a 2-core VM (a
 * 24 KiB {@code malloc}, its zero-fill, six page faults). Tables are recycled by the page heap,
 * never given back one by one: the region closes with the allocator.
 *
 * <p>Thread-safety: not thread-safe; the page heap calls it under its lock.
 */
final class MetadataSpans {
    /** The region's chunk: 1 MiB, about forty 16 B-class tables. */
    static final long CHUNK_BYTES = 1 << 20;
    static final int AHEAD_CHUNKS = 1;

    private final Region region;
    private Span current;
    private long used;

    /**
     * @param name the allocator's name; the region is named after it
     * @param reserveBytes address space for metadata: a slot table is at most 6/16 of its page
     */
    MetadataSpans(String name, long reserveBytes) {
        long reserve = Math.max(CHUNK_BYTES * 4, reserveBytes);
        this.region = Region.builder().name(name + ".metadata").reserve(reserve).chunkSize(CHUNK_BYTES)
                .commitAhead(AHEAD_CHUNKS * CHUNK_BYTES).build();
    }

    /** {@return {@code byteSize} bytes, 8-byte aligned, zero unless recycled by the caller} */
    MemorySegment allocate(long byteSize) {
        long aligned = (byteSize + 7) & -8L;
        if (current == null || used + aligned > current.byteSize()) {
            current = region.acquire(Math.max(CHUNK_BYTES, aligned)); // the rest of the old span stays unused
            used = 0;
        }
        MemorySegment table = current.segment().asSlice(used, byteSize);
        used += aligned;
        return table;
    }

    /** Closes the region: any racing access to a slot table throws {@link IllegalStateException}. */
    void close() {
        region.close();
    }
}
