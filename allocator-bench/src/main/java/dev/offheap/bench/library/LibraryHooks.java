package dev.offheap.bench.library;

import dev.offheap.allocator.facade.OffHeap;

/**
 * The one place the benchmarks reach for library features that the engine rewrites (issues 11 and
 * 12) added: the validated access path, the commit-on-caller counter, metadata bytes. Every
 * workload goes through here, so a change of those APIs is one edit. {@value #NOT_AVAILABLE} is
 * what a figure reads where a build does not expose it (the report prints "not exposed by this
 * build"); this build exposes all of them.
 *
 * <p>Stateless and thread-safe (each method is as thread-safe as the {@link OffHeap} it is given).
 */
public final class LibraryHooks {
    /** What a figure reads when this build of the library does not expose it. */
    public static final long NOT_AVAILABLE = -1;

    private LibraryHooks() {
    }

    /**
     * Writes the first and the last byte of a block through the library's validated access path:
     * {@link OffHeap#putByte}, which checks the handle's generation and the offset on every access
     * and makes no segment object.
     *
     * @param memory   the allocator that made {@code handle}
     * @param handle   a live handle
     * @param byteSize the size asked for when it was allocated (the block may be larger)
     */
    public static void writeFirstLast(OffHeap memory, long handle, long byteSize) {
        memory.putByte(handle, 0, (byte) 1);
        memory.putByte(handle, byteSize - 1, (byte) 1);
    }

    /** {@return bytes committed by the allocator's region now (snapshot, public API today)} */
    public static long committedBytes(OffHeap memory) {
        return memory.snapshot().committedBytes();
    }

    /**
     * {@return how many acquires waited for a commit on an allocating thread rather than the
     * background committer, since {@code build()}} The snapshot's {@code commitsOnCaller}
     * ({@code offheap.commit.on.caller}).
     *
     * @param memory the allocator
     */
    public static long commitsOnCaller(OffHeap memory) {
        return memory.snapshot().commitsOnCaller();
    }

    /**
     * {@return the allocator's metadata bytes on the Java heap, by its own account} The snapshot's
     * {@code metadataHeapBytes}. {@code FootprintMain} measures the heap part from outside too (used
     * heap after GC) and prints this figure beside it.
     *
     * @param memory the allocator
     */
    public static long heapMetadataBytes(OffHeap memory) {
        return memory.snapshot().metadataHeapBytes();
    }

    /**
     * {@return the allocator's metadata bytes off the Java heap (mapped for metadata only)} The
     * snapshot's {@code metadataOffHeapBytes}.
     *
     * @param memory the allocator
     */
    public static long offHeapMetadataBytes(OffHeap memory) {
        return memory.snapshot().metadataOffHeapBytes();
    }
}
