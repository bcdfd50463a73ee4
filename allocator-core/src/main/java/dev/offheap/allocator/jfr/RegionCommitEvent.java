package dev.offheap.allocator.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * Chunks of a region committed and pre-faulted (mprotect read-write + populate).
 *
 * <p>Thread-safety: an event object belongs to the thread that fills and commits it; emit through
 * {@link OffHeapEvents}, which does nothing unless a recording has the event enabled.
 */
@Name(OffHeapEvents.PREFIX + "RegionCommit")
@Label("Off-Heap Region Commit")
@Category(OffHeapEvents.CATEGORY)
@Description("Chunks of a region committed and pre-faulted (mprotect read-write + populate).")
@StackTrace(false)
public final class RegionCommitEvent extends jdk.jfr.Event {
    /** Makes an empty event; {@link OffHeapEvents} fills and commits it. */
    public RegionCommitEvent() {
    }

    /** Name of the allocator or region. */
    @Label("Allocator")
    @Description("Name of the allocator or region")
    public String allocator;

    /** Bytes committed by this call. */
    @Label("Committed Now")
    @Description("Bytes committed by this call")
    @DataAmount
    public long bytes;

    /** Bytes committed in the region after this call. */
    @Label("Committed Total")
    @Description("Bytes committed in the region after this call")
    @DataAmount
    public long committedBytes;
}
