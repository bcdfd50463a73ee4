package dev.offheap.allocator.slab;

import dev.offheap.allocator.HeapCorruptionException;

import java.lang.foreign.MemorySegment;

/**
 * The default mode: blocks are zeroed (unless zeroing is off) by the refill that puts them on a
 * page's allocation list, a run of neighbours at a time, through the span's scoped segment
 * ({@link Page#refill}); slots not used since their memory was known zero are not zeroed again.
 * A block's segment is a slice of the span's; frees are a plain release store.
 */
final class PlainBlocks extends BlockMode {
    private final boolean trackSites;
    private final String allocator;

    PlainBlocks(boolean zeroing, boolean trackSites, String allocator) {
        super(0, zeroing);
        this.trackSites = trackSites;
        this.allocator = allocator;
    }

    @Override
    void prepare(Page page, int slot, long byteSize) {
        // Nothing to zero: the refill that linked the slot zeroed it (Page#refill).
        if (trackSites) {
            recordSite(page, slot, byteSize);
        }
    }

    private void recordSite(Page page, int slot, long byteSize) {
        page.checked.sites[slot] = site(byteSize, allocator);
    }

    /** {@return an allocation site whose first frame is the slab's caller, not the slab's own} */
    static Throwable site(long byteSize, String allocator) {
        Throwable site = new Throwable("allocation site of a " + byteSize + "-byte block, allocator=" + allocator);
        StackTraceElement[] frames = site.getStackTrace();
        int entry = -1;
        for (int i = 0; i < frames.length; i++) {
            if (frames[i].getClassName().equals(SlabAllocator.class.getName())) {
                entry = i; // the last frame of the public class: its caller comes next
            }
        }
        site.setStackTrace(java.util.Arrays.copyOfRange(frames, Math.min(entry + 1, frames.length - 1), frames.length));
        return site;
    }

    @Override
    boolean ownerFree(Page page, int slot, int live, int freed) {
        page.soState(slot, freed); // the caller read `live` there; a racing remote CAS is reconciled at drain
        return true;
    }

    @Override
    HeapCorruptionException checkOnFree(Page page, int slot, long handle) {
        return null;
    }

    @Override
    void afterFree(Page page, int slot) {
    }

    @Override
    MemorySegment segment(Page page, int slot) {
        return page.memory.asSlice(page.blockOffset(slot), page.blockBytes);
    }

    @Override
    long usableBytes(Page page, int slot) {
        return page.blockBytes;
    }

    @Override
    void onCarve(Page page) {
        page.checked = trackSites ? new CheckedSlots(page.capacity, false, true) : null;
    }

    @Override
    Throwable site(Page page, int slot) {
        CheckedSlots c = page.checked;
        return c == null || c.sites == null || slot >= c.sites.length ? null : c.sites[slot];
    }

    @Override
    void closeLive(Page page, int slot) {
    }

    @Override
    long corruptions() {
        return 0;
    }
}
