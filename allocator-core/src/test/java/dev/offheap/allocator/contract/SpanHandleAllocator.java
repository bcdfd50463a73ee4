package dev.offheap.allocator.contract;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.internal.Checks;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * TEST ONLY: the simplest honest {@link HandleAllocator} — one {@link Region} span per block —
 * so that {@link HandleAllocatorContract} can be shown to work (and to catch faults) before the
 * slab and free-list allocators land. It wastes a chunk per block and is not meant for anything
 * else.
 *
 * <p>It owns its region and closes it on {@link #close()}, so every segment it gave out throws
 * from then on.
 *
 * <p>Handles: kind {@link Handles#KIND_LARGE}, location = slot index, generation per slot, bumped
 * on every free (metadata out of band, in two Java arrays).
 *
 * <p>Thread-safety: thread-safe; every method synchronises on the allocator.
 */
final class SpanHandleAllocator implements HandleAllocator {
    private static final int TAG = 1;
    private final Region region;
    private final long maxByteSize;
    private Span[] spans = new Span[16];
    private long[] sizes = new long[16];
    /** Per slot: the generation of the live block, or of the last block freed there. */
    private int[] generations = new int[16];
    private int[] freeSlots = new int[16];
    private int freeCount;
    private int slotCount;
    private boolean closed;

    SpanHandleAllocator(Region region) {
        this.region = region;
        this.maxByteSize = region.reservedBytes();
    }

    @Override
    public synchronized long allocate(long byteSize) {
        Checks.checkPositive("byteSize", byteSize);
        if (byteSize > maxByteSize) {
            throw new IllegalArgumentException("byteSize must not exceed " + maxByteSize + ": byteSize=" + byteSize);
        }
        ensureOpen();
        Span span = region.acquire(byteSize);
        int slot;
        if (freeCount > 0) {
            slot = freeSlots[--freeCount];
        } else {
            if (slotCount == spans.length) {
                int n = slotCount * 2;
                spans = Arrays.copyOf(spans, n);
                sizes = Arrays.copyOf(sizes, n);
                generations = Arrays.copyOf(generations, n);
                freeSlots = Arrays.copyOf(freeSlots, n);
            }
            slot = slotCount++;
        }
        generations[slot] = Handles.nextGeneration(generations[slot]);
        spans[slot] = span;
        sizes[slot] = byteSize;
        return Handles.pack(Handles.KIND_LARGE, TAG, generations[slot], slot);
    }

    @Override
    public synchronized void free(long handle) {
        ensureOpen();
        int slot = slotOf(handle);
        if (spans[slot] == null || generations[slot] != Handles.generation(handle)) {
            throw new DoubleFreeException("block freed already: handle=" + Handles.toString(handle));
        }
        region.release(spans[slot]);
        spans[slot] = null;
        freeSlots[freeCount++] = slot;
    }

    @Override
    public synchronized MemorySegment segment(long handle) {
        return liveSpan(handle).segment().asSlice(0, sizes[slotOf(handle)]);
    }

    @Override
    public synchronized long byteSize(long handle) {
        liveSpan(handle);
        return sizes[slotOf(handle)];
    }

    @Override
    public synchronized boolean isLive(long handle) {
        if (closed || !Handles.hasShape(handle, Handles.KIND_LARGE, TAG) || Handles.location(handle) >= slotCount) {
            return false;
        }
        int slot = (int) Handles.location(handle);
        return spans[slot] != null && generations[slot] == Handles.generation(handle);
    }

    /** {@return the region it takes its spans from} */
    Region region() {
        return region;
    }

    @Override
    public String name() {
        return "span-per-block(" + region.name() + ")";
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = 0; i < slotCount; i++) {
            if (spans[i] != null) {
                region.release(spans[i]);
                spans[i] = null;
            }
        }
        region.close();
    }

    private Span liveSpan(long handle) {
        ensureOpen();
        int slot = slotOf(handle);
        if (spans[slot] == null || generations[slot] != Handles.generation(handle)) {
            throw new UseAfterFreeException("block was freed: handle=" + Handles.toString(handle));
        }
        return spans[slot];
    }

    private int slotOf(long handle) {
        if (!Handles.hasShape(handle, Handles.KIND_LARGE, TAG) || Handles.location(handle) >= slotCount
                || Handles.generation(handle) == 0 || handle < 0) {
            throw new ForeignPointerException("handle not made by " + name() + ": handle=" + Handles.toString(handle));
        }
        return (int) Handles.location(handle);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("allocator is closed: " + name());
        }
    }
}
