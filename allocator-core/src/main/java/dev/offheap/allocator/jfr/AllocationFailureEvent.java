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

    /** Name of the allocator or region. */
    @Label("Allocator")
    @Description("Name of the allocator or region")
    public String allocator;

    /** Which bound was hit. */
    @Label("Reason")
    @Description("Which bound was hit")
    public String reason;

    /** Bytes requested. */
    @Label("Requested")
    @DataAmount
    public long requestedBytes;

    /** The bound that was hit, in bytes. */
    @Label("Limit")
    @Description("The bound that was hit")
    @DataAmount
    public long limitBytes;

    /** Bytes committed when the request failed. */
    @Label("Committed")
    @Description("Bytes committed when the request failed")
    @DataAmount
    public long committedBytes;

    /** Bytes in use when the request failed. */
    @Label("Used")
    @Description("Bytes in use when the request failed")
    @DataAmount
    public long usedBytes;
}
