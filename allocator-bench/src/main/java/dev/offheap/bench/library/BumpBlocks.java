package dev.offheap.bench.library;

import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.bench.peers.LongBlocks;
import dev.offheap.bench.peers.RawMemory;

/**
 * This library's {@link BumpArena} on its raw path ({@code allocateAddress}: no object per block),
 * rewound with {@code reset()} every {@value #WINDOW_BYTES} bytes over memory that is already
 * faulted in. Freeing one block is a no-op, as for the JDK's slicing allocator it is weighed against.
 *
 * <p>Not thread-safe: confined to the thread that made it. Only for workloads whose live set stays
 * well under the window.
 */
public final class BumpBlocks implements LongBlocks {
    /** Bytes allocated before each rewind: 64 MiB, as for the slicing allocator. */
    public static final long WINDOW_BYTES = 64L << 20;

    private final BumpArena arena;

    /** Makes a confined arena and faults its first window in. */
    public BumpBlocks() {
        // Not zeroing: the slicing allocator it is weighed against does not zero either.
        arena = BumpArena.builder().reserve(1L << 30).zeroing(false).build();
        arena.allocate(WINDOW_BYTES, 8); // takes and pre-faults the span the loop will use
        arena.reset();
    }

    @Override
    public long allocate(long byteSize) {
        if (arena.usedBytes() > WINDOW_BYTES - byteSize - 8) {
            arena.reset();
        }
        long address = arena.allocateAddress(byteSize, 8);
        RawMemory.touch(address, byteSize);
        return address;
    }

    @Override
    public void free(long block) {
        // A bump arena frees by reset(); the window is rewound when full.
    }

    @Override
    public void close() {
        arena.close();
    }
}
