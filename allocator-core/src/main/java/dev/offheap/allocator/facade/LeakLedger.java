package dev.offheap.allocator.facade;

import dev.offheap.allocator.AllocationListener;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.LeakException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The record {@link dev.offheap.allocator.LeakPolicy#THROW} keeps: every live block by handle, with
 * its size and (when sites are tracked) its allocation site, so that {@code close()} can name each
 * leaked block. A test setting: it costs a map entry (and, tracked, a stack trace) per allocation.
 *
 * <p>Thread-safety: thread-safe (a concurrent map).
 */
final class LeakLedger implements AllocationListener {
    private record Entry(long byteSize, Throwable site) {
    }

    private final Map<Long, Entry> live = new ConcurrentHashMap<>();
    private final OffHeap owner;
    private final boolean trackSites;

    LeakLedger(OffHeap owner, boolean trackSites) {
        this.owner = owner;
        this.trackSites = trackSites;
    }

    @Override
    public void onAllocation(long handle, long byteSize) {
        live.put(handle, new Entry(byteSize, trackSites
                ? new Throwable("allocation site of a " + byteSize + "-byte block, handle=" + Handles.toString(handle))
                : null));
    }

    @Override
    public void onFree(long handle, long byteSize) {
        live.remove(handle);
    }

    /** {@return every block allocated and not freed, by address order of handle} */
    List<LeakException.Block> outstanding() {
        List<LeakException.Block> out = new ArrayList<>();
        live.forEach((handle, e) -> out.add(new LeakException.Block(owner.rangeName(handle), handle, e.byteSize(), e.site())));
        out.sort(Comparator.comparingLong(LeakException.Block::handle));
        return out;
    }
}
