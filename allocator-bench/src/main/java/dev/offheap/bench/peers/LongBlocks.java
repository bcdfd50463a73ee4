package dev.offheap.bench.peers;

/**
 * A benchmark peer whose blocks are named by a {@code long} (an address or a handle), so that
 * allocating and freeing one makes no Java garbage of its own.
 *
 * <p>Thread-safety is each implementation's own: see its javadoc. Every implementation does the
 * same work per block: {@link #allocate} gets {@code byteSize} bytes and writes their first and last
 * byte (so the block is really there, and memory that was never touched is faulted in), and
 * {@link #free} gives the block back the way that peer's users do.
 */
public interface LongBlocks extends AutoCloseable {

    /**
     * Allocates a block of {@code byteSize} bytes and writes its first and last byte.
     *
     * @param byteSize the block's size in bytes, at least 1
     * @return the block: an address or a handle, never 0
     * @throws OutOfMemoryError if the peer has no memory left
     */
    long allocate(long byteSize);

    /**
     * Gives back a block returned by {@link #allocate}.
     *
     * @param block the block, not yet freed
     */
    void free(long block);

    /**
     * {@return the address of a block's first byte} The default is for peers whose blocks are
     * addresses; a peer whose blocks are handles must translate, or raw writes would go to the
     * handle's value (the cache-scratch benchmark once crashed its JVM that way).
     *
     * @param block a block {@link #allocate} returned, not yet freed
     */
    default long address(long block) {
        return block;
    }

    /**
     * Gives memory that holds no live block back to the OS, as this peer's users can ask it to
     * ({@code trim()}, {@code malloc_trim}, a jemalloc purge); the default does nothing.
     *
     * @return whether the peer has such a call (and it ran)
     */
    default boolean trim() {
        return false;
    }

    /** Releases what the peer holds; blocks still live are lost. Idempotent. */
    @Override
    void close();
}
