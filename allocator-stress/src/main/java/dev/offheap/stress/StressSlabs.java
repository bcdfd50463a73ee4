package dev.offheap.stress;

import dev.offheap.allocator.slab.SlabAllocator;

/**
 * The slab allocator shared by the slab jcstress tests. A slab allocator commits whole 2 MiB
 * segments, far too much to build one per trial (jcstress makes a state object per trial), so the
 * trials share this one and each frees in its arbiter what its actors left live.
 *
 * <p>Thread-safety: the allocator is thread-safe.
 */
public final class StressSlabs {
    /** The block size every trial asks for: the smallest class, so a page holds many blocks. */
    public static final long BLOCK = 16;
    /**
     * The largest class: a page holds 8 of them, so an owner that allocates a few per trial runs
     * its page dry — and drains the remote frees — every other trial or so.
     */
    public static final long LARGEST_BLOCK = 32 << 10;

    /**
     * One allocator for all trials of a run, on a region of its own. Zeroing is off: the tests
     * write a marker into each block and must see exactly the bytes the last owner wrote.
     */
    public static final SlabAllocator SHARED = SlabAllocator.builder().name("jcstress-slab")
            .reserve(1L << 30).zeroing(false).build();

    /** A checked-mode slab for the trials of checked mode's racing frees. */
    public static final SlabAllocator CHECKED = SlabAllocator.builder().name("jcstress-checked-slab")
            .reserve(1L << 30).checked(true).leakListener(report -> { }).build();

    private StressSlabs() {
    }

    /** Frees {@code handle} if it is still live; the arbiters' clean-up. */
    public static void freeIfLive(long handle) {
        if (handle != 0 && SHARED.isLive(handle)) {
            SHARED.free(handle);
        }
    }
}
