package dev.offheap.examples.cache;

import dev.offheap.allocator.HandleAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A key-value cache whose values live off the GC heap, one block per value. The map on the heap
 * holds only the {@code long} handle of each value; the bytes are in the allocator.
 *
 * <p>Thread-safety: thread-safe. Every read, replacement and removal of a key's block runs inside
 * the map's per-bin lock ({@code compute}), so a block is never freed while another thread copies
 * out of it, and no thread can see a handle that was freed.
 */
public final class OffHeapCache {
    /** Bytes before the value: its length as a little-endian int. */
    private static final long LENGTH_BYTES = Integer.BYTES;

    private final HandleAllocator allocator;
    private final ConcurrentHashMap<String, Long> handles = new ConcurrentHashMap<>();

    /**
     * @param allocator where values are stored; the cache frees what it allocated, the caller closes it
     */
    public OffHeapCache(HandleAllocator allocator) {
        this.allocator = allocator;
    }

    /**
     * Stores a copy of {@code value} under {@code key}, replacing and freeing any previous value.
     *
     * @throws dev.offheap.allocator.OutOfOffHeapMemoryException if the allocator is full; the cache
     *         is unchanged then
     */
    public void put(String key, byte[] value) {
        long handle = allocator.allocate(LENGTH_BYTES + Math.max(1, value.length));
        MemorySegment block = allocator.segment(handle);
        block.set(ValueLayout.JAVA_INT_UNALIGNED, 0, value.length);
        MemorySegment.copy(value, 0, block, ValueLayout.JAVA_BYTE, LENGTH_BYTES, value.length);
        handles.compute(key, (k, previous) -> {
            if (previous != null) {
                allocator.free(previous);
            }
            return handle;
        });
    }

    /** {@return a copy of the value under {@code key}, or {@code null} if there is none} */
    public byte[] get(String key) {
        byte[][] result = new byte[1][];
        handles.computeIfPresent(key, (k, handle) -> {
            MemorySegment block = allocator.segment(handle);
            int length = block.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
            result[0] = block.asSlice(LENGTH_BYTES, length).toArray(ValueLayout.JAVA_BYTE);
            return handle;
        });
        return result[0];
    }

    /** {@return whether a value was removed (and its block freed)} */
    public boolean remove(String key) {
        boolean[] removed = new boolean[1];
        handles.computeIfPresent(key, (k, handle) -> {
            allocator.free(handle);
            removed[0] = true;
            return null;
        });
        return removed[0];
    }

    /** {@return the number of values held} */
    public int size() {
        return handles.size();
    }

    /** Frees every value. */
    public void clear() {
        for (String key : handles.keySet()) {
            remove(key);
        }
    }
}
