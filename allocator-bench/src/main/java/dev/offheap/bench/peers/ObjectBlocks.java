package dev.offheap.bench.peers;

/**
 * A benchmark peer whose blocks are Java objects ({@code ByteBuf}, {@code ByteBuffer}, {@code byte[]},
 * an {@code Arena}, a {@code MemorySegment}).
 *
 * <p>Thread-safety is each implementation's own: see its javadoc. Every implementation does the
 * same work per block as {@link LongBlocks}: {@link #allocate} gets {@code byteSize} bytes and writes
 * their first and last byte, {@link #free} gives the block back the way that peer's users do.
 *
 * @param <B> the type of a block
 */
public interface ObjectBlocks<B> extends AutoCloseable {

    /**
     * Allocates a block of {@code byteSize} bytes and writes its first and last byte.
     *
     * @param byteSize the block's size in bytes, at least 1
     * @return the block
     * @throws OutOfMemoryError if the peer has no memory left
     */
    B allocate(long byteSize);

    /**
     * Gives back a block returned by {@link #allocate}.
     *
     * @param block the block, not yet freed
     */
    void free(B block);

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
    default void close() {
    }
}
