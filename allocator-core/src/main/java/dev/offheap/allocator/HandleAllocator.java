package dev.offheap.allocator;

import java.lang.foreign.MemorySegment;

/**
 * An allocator whose blocks are named by zero-garbage {@code long} handles (see {@link Handles}):
 * the contract the slab, free-list and large-block allocators and the façade share.
 *
 * <p>Every method checks the handle in O(1) against out-of-band metadata: a stale handle (its block
 * was freed) throws {@link UseAfterFreeException}, a second free throws {@link DoubleFreeException},
 * and a handle this allocator never made throws {@link ForeignPointerException}; the allocator is
 * unchanged after any of them. Implementations state their threading contract in their own javadoc.
 */
public interface HandleAllocator extends AutoCloseable {

    /**
     * Allocates a block of at least {@code byteSize} bytes, aligned to at least 16 bytes.
     *
     * @param byteSize the bytes wanted, at least 1
     * @return the block's handle, never {@link Handles#NULL}
     * @throws IllegalArgumentException if {@code byteSize} is not positive or exceeds what this
     *         allocator serves
     * @throws OutOfOffHeapMemoryException if the memory or the limit is exhausted
     * @throws IllegalStateException if the allocator is closed
     */
    long allocate(long byteSize);

    /**
     * Frees a block.
     *
     * @param handle a handle {@link #allocate(long)} returned and not yet freed
     * @throws DoubleFreeException if the block was freed already
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IllegalStateException if the allocator is closed
     */
    void free(long handle);

    /**
     * {@return a segment bounded to the block's {@linkplain #byteSize(long) usable bytes}}
     *
     * @param handle a live handle
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     */
    MemorySegment segment(long handle);

    /**
     * {@return the usable bytes of the block: at least what was asked for}
     *
     * @param handle a live handle
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     */
    long byteSize(long handle);

    /** {@return whether {@code handle} names a block of this allocator that is not freed} */
    boolean isLive(long handle);

    /** {@return the name used in messages and metrics} */
    String name();

    /**
     * Frees every block still live and gives the memory back; blocks still live are reported as
     * leaks, once each. Later allocations and frees throw {@link IllegalStateException},
     * {@link #isLive} answers false, and every segment handed out throws on access (an
     * implementation that keeps its leaked blocks allocated instead, as a child allocator does,
     * says so). Idempotent.
     */
    @Override
    void close();
}
