package dev.offheap.allocator.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A block of at least the large-block threshold allocated; smaller blocks are not recorded.
 *
 * <p>Thread-safety: an event object belongs to the thread that fills and commits it; emit through
 * {@link OffHeapEvents}, which does nothing unless a recording has the event enabled.
 */
@Name(OffHeapEvents.PREFIX + "LargeAllocation")
@Label("Off-Heap Large Allocation")
@Category(OffHeapEvents.CATEGORY)
@Description("A block of at least the large-block threshold allocated; smaller blocks are not recorded.")
@StackTrace(true)
@Enabled(false) // may be frequent: on only when a recording asks for it
public final class LargeAllocationEvent extends jdk.jfr.Event {
    /** Makes an empty event; {@link OffHeapEvents} fills and commits it. */
    public LargeAllocationEvent() {
    }

    /** Name of the allocator or region. */
    @Label("Allocator")
    @Description("Name of the allocator or region")
    public String allocator;

    /** Size of the block, in bytes. */
    @Label("Size")
    @DataAmount
    public long bytes;
}
