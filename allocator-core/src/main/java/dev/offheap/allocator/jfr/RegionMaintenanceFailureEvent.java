package dev.offheap.allocator.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A background pass of a region (decay, the allocators' purge pass, commit ahead) failed; the
 * region and every other region carried on, and the pass is tried again when next due.
 *
 * <p>Thread-safety: an event object belongs to the thread that fills and commits it; emit through
 * {@link OffHeapEvents}, which does nothing unless a recording has the event enabled.
 */
@Name(OffHeapEvents.PREFIX + "RegionMaintenanceFailure")
@Label("Off-Heap Region Maintenance Failure")
@Category(OffHeapEvents.CATEGORY)
@Description("A background pass of a region (decay, purge, commit ahead) failed; the others carried on.")
@StackTrace(false)
public final class RegionMaintenanceFailureEvent extends jdk.jfr.Event {
    /** Makes an empty event; {@link OffHeapEvents} fills and commits it. */
    public RegionMaintenanceFailureEvent() {
    }

    /** Name of the region. */
    @Label("Region")
    @Description("Name of the region")
    public String region;

    /** The pass that failed: {@code decay}, {@code purge} or {@code commit-ahead}. */
    @Label("Task")
    @Description("The pass that failed: decay, purge or commit-ahead")
    public String task;

    /** The class of what was thrown. */
    @Label("Failure")
    @Description("The class of what was thrown")
    public String failure;

    /** Its message. */
    @Label("Message")
    @Description("The message of what was thrown")
    public String message;
}
