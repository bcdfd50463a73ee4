package dev.offheap.allocator.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A block found still owned when its allocator or scope closed, or whose handle became unreachable.
 *
 * <p>Thread-safety: an event object belongs to the thread that fills and commits it; emit through
 * {@link OffHeapEvents}, which does nothing unless a recording has the event enabled.
 */
@Name(OffHeapEvents.PREFIX + "Leak")
@Label("Off-Heap Leak")
@Category(OffHeapEvents.CATEGORY)
@Description("A block found still owned when its allocator or scope closed, or whose handle became unreachable.")
@StackTrace(false)
public final class LeakEvent extends jdk.jfr.Event {
    /** Makes an empty event; {@link OffHeapEvents} fills and commits it. */
    public LeakEvent() {
    }

    /** Name of the allocator or region. */
    @Label("Allocator")
    @Description("Name of the allocator or region")
    public String allocator;

    /** Size of the block, in bytes. */
    @Label("Size")
    @DataAmount
    public long bytes;

    /** Stack of the allocation when leak tracking is on; empty otherwise. */
    @Label("Allocation Site")
    @Description("Stack of the allocation when leak tracking is on; empty otherwise")
    public String allocationSite;
}
