package dev.offheap.bench.peers;

import java.lang.foreign.Arena;

/**
 * One {@link Arena} per block, closed to free it: what FFM code does that wants each block to have
 * its own lifetime. A confined arena must be closed by the thread that opened it; a shared arena
 * may be closed by any thread but its close is a handshake with every thread, which costs more.
 * {@code Arena.allocate} mallocs and zeroes the block.
 *
 * <p>Thread-safe as a peer (it holds nothing); each block follows its arena's threading rule.
 */
public final class ArenaPerBlock implements ObjectBlocks<Arena> {
    private final boolean shared;

    private ArenaPerBlock(boolean shared) {
        this.shared = shared;
    }

    /** {@return a peer that opens an {@code Arena.ofConfined()} per block} */
    public static ArenaPerBlock confined() {
        return new ArenaPerBlock(false);
    }

    /** {@return a peer that opens an {@code Arena.ofShared()} per block, for cross-thread frees} */
    public static ArenaPerBlock shared() {
        return new ArenaPerBlock(true);
    }

    @Override
    public Arena allocate(long byteSize) {
        Arena arena = shared ? Arena.ofShared() : Arena.ofConfined();
        RawMemory.touch(arena.allocate(byteSize, 8));
        return arena;
    }

    @Override
    public void free(Arena block) {
        block.close();
    }
}
