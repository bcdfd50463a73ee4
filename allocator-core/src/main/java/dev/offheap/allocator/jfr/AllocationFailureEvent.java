package dev.offheap.allocator.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * An allocation refused for lack of memory: reservation exhausted or limit on committed bytes reached.
 *
 * <p>Thread-safety: an event object belongs to the thread that fills and commits it; emit through
 * {@link OffHeapEvents}, which does nothing unless a recording has the event enabled.
 */
@Name(OffHeapEvents.PREFIX + "AllocationFailure")
@Label("Off-Heap Allocation Failure")
@Category(OffHeapEvents.CATEGORY)
@Description("An allocation refused for lack of memory: reservation exhausted or limit on committed bytes reached.")
@StackTrace(true)
public final class AllocationFailureEvent extends jdk.jfr.Event {
    /** Makes an empty event; {@link OffHeapEvents} fills and commits it. */
    public AllocationFailureEvent() {
    }

    @Label("Allocator")
    @Description("Name of the allocator or region")
    public String allocator;

    @Label("Reason")
    @Description("Which bound was hit")
    public String reason;

    @Label("Requested")
    @DataAmount
    public long requestedBytes;

    @Label("Limit")
    @Description("The bound that was hit")
    @DataAmount
    public long limitBytes;

    @Label("Committed")
    @Description("Bytes committed when the request failed")
    @DataAmount
    public long committedBytes;

    @Label("Used")
    @Description("Bytes in use when the request failed")
    @DataAmount
    public long usedBytes;
}
