package dev.offheap.bench.library;

import dev.offheap.allocator.facade.OffHeap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The one place the benchmarks reach for library features that the engine rewrites (issues 11 and
 * 12) add or change: the validated access path, the commit-on-caller counter, metadata bytes.
 * Every workload goes through here, so the lead switches each to the new API by editing one method;
 * until then each method uses today's public API or returns {@value #NOT_AVAILABLE}, which the
 * report prints as "not exposed by this build".
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
     * the generation and the offset are checked on every access. Today that is {@code segment(h)}
     * (validates the handle and bounds a segment to the block) and two bounds-checked sets.
     *
     * <p>HOOK (issue 11, "one validated access path, zero garbage"): when the handle accessors
     * land, replace the body with them, e.g. {@code memory.putByte(handle, 0, ...)} and
     * {@code memory.putByte(handle, byteSize - 1, ...)}.
     *
     * @param memory   the allocator that made {@code handle}
     * @param handle   a live handle
     * @param byteSize the size asked for when it was allocated (the block may be larger)
     */
    public static void writeFirstLast(OffHeap memory, long handle, long byteSize) {
        MemorySegment block = memory.segment(handle);
        block.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        block.set(ValueLayout.JAVA_BYTE, byteSize - 1, (byte) 1);
    }

    /** {@return bytes committed by the allocator's region now (snapshot, public API today)} */
    public static long committedBytes(OffHeap memory) {
        return memory.snapshot().committedBytes();
    }

    /**
     * {@return how many chunk commits ran on an allocating thread rather than the background
     * committer, since {@code build()}; {@value #NOT_AVAILABLE} while the build has no such counter}
     *
     * <p>HOOK (issue 11, "commit ahead, off the caller's thread"): return the snapshot's
     * commit-on-caller counter (the issue suggests {@code offheap.commit.on.caller}) once
     * {@code AllocatorSnapshot} or {@code Region} exposes it.
     *
     * @param memory the allocator
     */
    public static long commitsOnCaller(OffHeap memory) {
        return NOT_AVAILABLE;
    }

    /**
     * {@return the allocator's metadata bytes on the Java heap, by its own account;
     * {@value #NOT_AVAILABLE} while the build does not expose the figure}
     *
     * <p>HOOK (issue 12, "a snapshot field or meter for metadata bytes (heap and off-heap)"): return
     * the heap part of it. {@code FootprintMain} measures the heap part from outside anyway
     * (used heap after GC); this is the library's own figure, printed beside it.
     *
     * @param memory the allocator
     */
    public static long heapMetadataBytes(OffHeap memory) {
        return NOT_AVAILABLE;
    }

    /**
     * {@return the allocator's metadata bytes off the Java heap (mapped for metadata only);
     * {@value #NOT_AVAILABLE} while the build does not expose the figure}
     *
     * <p>HOOK (issue 12): return the off-heap part of the snapshot's metadata figure.
     *
     * @param memory the allocator
     */
    public static long offHeapMetadataBytes(OffHeap memory) {
        return NOT_AVAILABLE;
    }
}
