package dev.offheap.allocator.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * Idle chunks of a region given back to the OS (madvise DONTNEED + mprotect none).
 *
 * <p>Thread-safety: an event object belongs to the thread that fills and commits it; emit through
 * {@link OffHeapEvents}, which does nothing unless a recording has the event enabled.
 */
@Name(OffHeapEvents.PREFIX + "RegionDecommit")
@Label("Off-Heap Region Decommit")
@Category(OffHeapEvents.CATEGORY)
@Description("Idle chunks of a region given back to the OS (madvise DONTNEED + mprotect none).")
@StackTrace(false)
public final class RegionDecommitEvent extends jdk.jfr.Event {
    /** Makes an empty event; {@link OffHeapEvents} fills and commits it. */
    public RegionDecommitEvent() {
    }

    /** Name of the allocator or region. */
    @Label("Allocator")
    @Description("Name of the allocator or region")
    public String allocator;

    /** Bytes decommitted by this call. */
    @Label("Decommitted Now")
    @Description("Bytes decommitted by this call")
    @DataAmount
    public long bytes;

    /** Bytes committed in the region after this call. */
    @Label("Committed Total")
    @Description("Bytes committed in the region after this call")
    @DataAmount
    public long committedBytes;
}
