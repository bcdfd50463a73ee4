package dev.offheap.allocator.slab;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-slot data that checked mode and allocation-site tracking keep for one carving of a page: on
 * the Java heap, as those are debugging modes. Written by the thread that allocates or frees the
 * slot's block (the owner, or the remote freer that won the slot's CAS); the handle handed between
 * them is the happens-before edge.
 */
final class CheckedSlots {
    /** Bytes asked for, per slot (checked mode). */
    final int[] requested;
    /** Each live block's own scope, closed on free (checked mode). */
    final Arena[] scopes;
    /** Each live block's segment, bound to its scope (checked mode). */
    final MemorySegment[] segments;
    /** Where each live block (or, once freed, its last owner) was allocated, if tracked. */
    final Throwable[] sites;

    CheckedSlots(int capacity, boolean checked, boolean trackSites) {
        this.requested = checked ? new int[capacity] : null;
        this.scopes = checked ? new Arena[capacity] : null;
        this.segments = checked ? new MemorySegment[capacity] : null;
        this.sites = trackSites ? new Throwable[capacity] : null;
    }
}
