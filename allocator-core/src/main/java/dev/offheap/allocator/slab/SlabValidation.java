package dev.offheap.allocator.slab;

import dev.offheap.allocator.Handles;
import dev.offheap.allocator.internal.HandleCheck;

/**
 * Turns a slab handle into its page and slot, and hands every handle that fails the live check to
 * the project's one classifier ({@link HandleCheck}). The live check itself is one compare of the
 * slot's state word with {@link SlotState#liveOf}; it runs where the word is used (free, segment,
 * the validated accessors), so the handle is decoded once and the word read once per call.
 *
 * <p>Thread-safety: thread-safe; reads the page table published by {@link PageHeap}.
 */
final class SlabValidation {
    final HandleCheck check;
    /** The kind and tag bits every handle of this allocator has, as {@code handle >>> TAG_SHIFT}. */
    final long shape;
    /** The same bits in place, for packing. */
    final long handleHigh;
    private final PageHeap heap;
    private final BlockMode mode;
    /** The allocator's name once it closed, else null: what a call that raced the close throws. */
    private volatile String closedAllocator;

    SlabValidation(PageHeap heap, BlockMode mode, HandleCheck check, int tag) {
        this.heap = heap;
        this.mode = mode;
        this.check = check;
        this.shape = ((long) Handles.KIND_SLAB << (Handles.KIND_SHIFT - Handles.TAG_SHIFT)) | tag;
        this.handleHigh = shape << Handles.TAG_SHIFT;
    }

    /**
     * {@return the page a handle names, with the slot inside its current carving}: the O(1) shape
     * and range part of the check; the generation is the caller's to compare
     *
     * @throws dev.offheap.allocator.ForeignPointerException if the handle has another kind or tag,
     *         names no page, or a slot the page does not have
     */
    Page pageOf(long handle) {
        Page page = (handle >>> Handles.TAG_SHIFT) == shape ? heap.pageOrNull(handle) : null;
        if (page == null) {
            throw noPage(handle);
        }
        return page;
    }

    private RuntimeException noPage(long handle) {
        return check.foreign(handle, (handle >>> Handles.TAG_SHIFT) != shape
                ? "not a handle of this slab allocator" : "location outside this allocator's pages");
    }

    /** {@return whether the handle names a live block; never throws} */
    boolean isLive(long handle) {
        Page page = (handle >>> Handles.TAG_SHIFT) == shape ? heap.pageOrNull(handle) : null;
        if (page == null) {
            return false;
        }
        int slot = SegmentDescriptor.slot(Handles.location(handle));
        try {
            return slot < page.capacity && page.lvState(slot) == SlotState.liveOf(handle);
        } catch (IllegalStateException | IndexOutOfBoundsException closedOrRecarved) {
            return false; // the allocator closed, or the page was re-carved under a stale handle
        }
    }

    /**
     * Classifies, counts and reports a handle whose slot is not live with its generation, and
     * returns the exception to throw. The generation passed as current is the highest one the slot
     * ever handed out (0 if none), so a handle above it was never made here (foreign) and one at
     * or below it names a block that was freed.
     *
     * @param freeing whether the handle was passed to a free
     */
    RuntimeException reject(Page page, int slot, long handle, boolean freeing) {
        String closed = closedAllocator;
        if (closed != null) {
            // A call that passed its closed check as close() ran: the slot tables it reads were
            // given back (they read zero), so the word says nothing about the handle.
            return new IllegalStateException("allocator is closed: allocator=" + closed);
        }
        int capacity = page.capacity;
        int current;
        if (capacity == 0) {
            current = page.base - 1; // not carved now: every handle it ever made is below its base
        } else if (slot >= capacity) {
            return check.foreign(handle, "slot outside its page");
        } else {
            current = SlotState.highestIssued(page.lvState(slot));
        }
        return check.reject(handle, current, false, freeing, page.blockBytes, mode.site(page, slot));
    }

    /** From the allocator's close, before its slot tables are given back. */
    void markClosed(String allocator) {
        closedAllocator = allocator;
    }

    /**
     * {@return the offset in {@code page.memory} of byte {@code offset} of the live block, with
     * {@code width} bytes to access}: the validated access path's check (generation, then bounds)
     *
     * @throws IndexOutOfBoundsException if {@code [offset, offset + width)} is not inside the block
     */
    long at(Page page, int slot, long handle, long offset, long width) {
        // A plain load: the caller holds the block (it freed it itself, in program order, or got
        // the handle through a happens-before edge); a free racing the access is the caller's race.
        if (slot >= page.capacity || page.lpState(slot) != SlotState.liveOf(handle)) {
            throw reject(page, slot, handle, false);
        }
        long usable = mode.usableBytes(page, slot);
        if (offset < 0 || offset > usable - width) {
            throw outside(handle, offset, width, usable);
        }
        return page.blockOffset(slot) + offset;
    }

    private static IndexOutOfBoundsException outside(long handle, long offset, long width, long usable) {
        return new IndexOutOfBoundsException("access outside the block: offset=" + offset + ", bytes=" + width
                + ", blockBytes=" + usable + ", handle=" + Handles.toString(handle));
    }
}
