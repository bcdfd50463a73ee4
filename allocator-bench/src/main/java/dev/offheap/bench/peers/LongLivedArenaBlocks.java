package dev.offheap.bench.peers;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One long-lived confined {@link Arena} that blocks are allocated from and never freed one by one:
 * the arena is closed (freeing everything at once) and a new one opened every
 * {@value #WINDOW_BYTES} bytes, so that cost is amortised into the per-block figure. Freeing a
 * single block is a no-op, as it is for FFM code that uses an arena this way.
 *
 * <p>Not thread-safe: confined to the thread that made it. Only for workloads whose live set stays
 * well under the window (a block may otherwise be "freed" by a bulk close while still in use).
 */
public final class LongLivedArenaBlocks implements ObjectBlocks<MemorySegment> {
    /** Bytes allocated from one arena before it is closed and replaced: 16 MiB. */
    public static final long WINDOW_BYTES = 16L << 20;

    private Arena arena = Arena.ofConfined();
    private long used;

    @Override
    public MemorySegment allocate(long byteSize) {
        if (used + byteSize > WINDOW_BYTES) {
            arena.close();
            arena = Arena.ofConfined();
            used = 0;
        }
        used += byteSize;
        return RawMemory.touch(arena.allocate(byteSize, 8));
    }

    @Override
    public void free(MemorySegment block) {
        // Blocks of a long-lived arena live until it closes.
    }

    @Override
    public void close() {
        arena.close();
    }
}
