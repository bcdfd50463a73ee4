package dev.offheap.allocator;

/**
 * Hooks around every allocation and free of an allocator, as Apache Arrow's
 * {@code AllocationListener}: before an allocation, after it, after a free, and on a refused
 * allocation, where the listener may free memory (drop a cache, spill) and ask for a retry. Every
 * method has an empty default, so a listener overrides only what it needs.
 *
 * <p>An allocator built without a listener pays one null check per allocate and free, nothing more.
 *
 * <p>Thread-safety: implementations must be thread-safe: each hook runs on the thread that
 * allocates or frees, and several threads call them at once. A hook must not allocate from or free
 * to the allocator it listens to, except from {@link #onFailedAllocation} (that is what it is for).
 *
 * <p>What a hook throws reaches the caller: from {@link #onPreAllocation} the allocation does not
 * happen; from {@link #onAllocation} the block is freed again before the exception propagates; from
 * {@link #onFree} the block is already freed.
 *
 * {@snippet :
 * AllocationListener spillOnPressure = new AllocationListener() {
 *     @Override
 *     public boolean onFailedAllocation(long byteSize, OutOfOffHeapMemoryException failure) {
 *         return cache.evict(byteSize) > 0; // freed something: try again
 *     }
 * };
 * OffHeap memory = OffHeap.builder().limit(1L << 30).allocationListener(spillOnPressure).build();
 * }
 */
public interface AllocationListener {
    /**
     * Called before an allocation is attempted.
     *
     * @param byteSize the bytes asked for
     */
    default void onPreAllocation(long byteSize) {
    }

    /**
     * Called after a block was allocated, before it is handed to the caller.
     *
     * @param handle the block's handle
     * @param byteSize the block's usable bytes (at least what was asked for)
     */
    default void onAllocation(long handle, long byteSize) {
    }

    /**
     * Called after a block was freed.
     *
     * @param handle the handle it had (dead now)
     * @param byteSize the usable bytes it had
     */
    default void onFree(long handle, long byteSize) {
    }

    /**
     * Called when an allocation was refused for lack of memory or over the limit. The listener may
     * free memory and return {@code true} to have the allocation tried again; the allocator retries
     * at most {@link #MAX_RETRIES} times, then throws the last failure.
     *
     * @param byteSize the bytes asked for
     * @param failure what the allocator would throw
     * @return whether to try the allocation again
     */
    default boolean onFailedAllocation(long byteSize, OutOfOffHeapMemoryException failure) {
        return false;
    }

    /** The most times one allocation is retried on {@link #onFailedAllocation} returning true. */
    int MAX_RETRIES = 4;
}
