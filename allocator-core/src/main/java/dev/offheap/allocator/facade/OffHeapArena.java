package dev.offheap.allocator.facade;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.internal.Checks;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A {@link java.lang.foreign.Arena} whose memory comes from an {@link OffHeap}: every segment it
 * allocates is a block of that allocator, and {@link #close()} frees them all at once. Hand it to
 * any FFM code that takes an {@code Arena} or a {@link java.lang.foreign.SegmentAllocator}.
 *
 * <p>Thread-safety: thread-safe, as {@link Arena#ofShared()} is: any thread may allocate, any
 * thread may close, and segments may be accessed from any thread while the arena is open.
 * Allocations take one short lock (the block's handle is recorded for close).
 *
 * {@snippet :
 * try (OffHeap memory = OffHeap.builder().build();
 *      Arena arena = memory.newArena()) {
 *     MemorySegment text = arena.allocateFrom("hello");   // a NUL-terminated C string
 *     MemorySegment ints = arena.allocate(ValueLayout.JAVA_INT, 100);
 *     // ... pass them to a downcall ...
 * }                                                         // both blocks freed here
 * }
 *
 * <h2>What close promises</h2>
 * Every segment this arena returned shares one shared {@code Arena} scope ({@link #scope()}). Close
 * closes that scope first, so from then on each access through any of them, or through slices of
 * them, throws {@link IllegalStateException} from the JVM itself; only then are the blocks freed,
 * so no segment of this arena ever reaches memory the allocator lends again. Closing the
 * {@code OffHeap} closes its open arenas the same way before it frees anything.
 *
 * <h2>Alignment and contents</h2>
 * Segments are aligned to the requested {@code byteAlignment}, up to {@link #MAX_BYTE_ALIGNMENT};
 * alignments above the allocator's 16 bytes cost up to {@code byteAlignment - 16} extra bytes of the
 * block. Segments are zero-initialised, as {@link Arena#allocate(long, long)} promises, whatever
 * the {@code OffHeap}'s zeroing setting.
 *
 * @implNote The segment is the block's own segment, sliced to the aligned start and re-bound with
 * {@link MemorySegment#reinterpret(long, Arena, java.util.function.Consumer)} to this arena's scope
 * (a restricted method: the module needs native access, as the rest of the library does).
 */
public final class OffHeapArena implements Arena {
    /** The largest alignment {@link #allocate(long, long)} honours: one 4 KiB page. */
    public static final long MAX_BYTE_ALIGNMENT = 4096;

    /** The alignment every block of an {@link OffHeap} has already. */
    private static final long BLOCK_ALIGNMENT = 16;

    private final OffHeap memory;
    private final Arena scope = Arena.ofShared();
    /** Handles of the blocks lent, in order; guarded by {@code this}. */
    private long[] handles = new long[16];
    private int count;
    private boolean closed;

    OffHeapArena(OffHeap memory) {
        this.memory = memory;
    }

    /**
     * Allocates a zeroed segment from the {@code OffHeap}, bound to this arena's scope.
     *
     * @param byteSize the size in bytes; zero gives an empty segment (a 1-byte block is still taken,
     *        so the address is a real one and distinct)
     * @param byteAlignment a power of two, at most {@link #MAX_BYTE_ALIGNMENT}
     * @return a segment of exactly {@code byteSize} bytes whose address is a multiple of {@code byteAlignment}
     * @throws IllegalArgumentException if {@code byteSize} is negative, or {@code byteAlignment} is not
     *         a power of two or exceeds {@link #MAX_BYTE_ALIGNMENT}
     * @throws OutOfOffHeapMemoryException if the {@code OffHeap}'s memory or limit is exhausted
     * @throws IllegalStateException if this arena or its {@code OffHeap} is closed
     */
    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        Checks.checkSizeAndAlignment(byteSize, byteAlignment, MAX_BYTE_ALIGNMENT);
        long slack = byteAlignment > BLOCK_ALIGNMENT ? byteAlignment - BLOCK_ALIGNMENT : 0;
        long blockBytes = Math.max(1, Math.addExact(byteSize, slack));
        synchronized (this) {
            // Under the lock so close cannot slip between the allocation and its record: a block
            // taken here is either recorded (and freed by close) or freed before the throw.
            ensureOpen();
            long handle = memory.allocate(blockBytes);
            try {
                MemorySegment block = memory.segment(handle);
                long start = Checks.alignUp(block.address(), byteAlignment) - block.address();
                MemorySegment segment = block.asSlice(start, byteSize).reinterpret(byteSize, scope, null);
                segment.fill((byte) 0);
                record(handle);
                return segment;
            } catch (RuntimeException | Error e) {
                memory.free(handle);
                throw e;
            }
        }
    }

    /** {@return the scope every segment of this arena is bound to; it is alive until {@link #close()}} */
    @Override
    public MemorySegment.Scope scope() {
        return scope.scope();
    }

    /**
     * Closes the scope of every segment this arena returned, so each of them throws from now on,
     * then frees their blocks. Not idempotent, as the JDK's arenas are not.
     *
     * @throws IllegalStateException if the arena is closed already (also when its {@code OffHeap}
     *         closed it), or if one of its segments is in use by a native call right now; nothing is
     *         freed then, and close may be called again
     */
    @Override
    public void close() {
        long[] toFree;
        int n;
        synchronized (this) {
            ensureOpen();
            scope.close(); // first: it refuses while a downcall uses a segment, and nothing changed then
            closed = true;
            toFree = handles;
            n = count;
            handles = null;
        }
        OpenArenas.forget(memory, this);
        for (int i = 0; i < n; i++) {
            memory.free(toFree[i]);
        }
    }

    /** Closes this arena unless it is closed already: for the {@code OffHeap}'s own close. */
    void closeIfOpen() {
        synchronized (this) {
            if (closed) {
                return;
            }
        }
        try {
            close();
        } catch (IllegalStateException closedMeanwhile) {
            synchronized (this) {
                if (!closed) {
                    throw closedMeanwhile; // in use by a native call: the OffHeap must not go on
                }
            }
        }
    }

    /** {@return whether {@link #close()} has run} */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** {@return the blocks this arena holds now} */
    public synchronized int blockCount() {
        return count;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("arena is closed: allocator=" + memory.name());
        }
    }

    private void record(long handle) {
        if (count == handles.length) {
            handles = Arrays.copyOf(handles, count * 2);
        }
        handles[count++] = handle;
    }

    @Override
    public String toString() {
        return "OffHeapArena[allocator=" + memory.name() + ", blocks=" + blockCount() + ", closed=" + isClosed() + "]";
    }
}
