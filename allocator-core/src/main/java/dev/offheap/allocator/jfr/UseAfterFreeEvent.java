package dev.offheap.allocator.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * An access through a stale handle, or poisoned memory found changed, caught and refused.
 *
 * <p>Thread-safety: an event object belongs to the thread that fills and commits it; emit through
 * {@link OffHeapEvents}, which does nothing unless a recording has the event enabled.
 */
@Name(OffHeapEvents.PREFIX + "UseAfterFree")
@Label("Off-Heap Use After Free")
@Category(OffHeapEvents.CATEGORY)
@Description("An access through a stale handle, or poisoned memory found changed, caught and refused.")
@StackTrace(true)
public final class UseAfterFreeEvent extends jdk.jfr.Event {
    /** Makes an empty event; {@link OffHeapEvents} fills and commits it. */
    public UseAfterFreeEvent() {
    }

    /** Name of the allocator or region. */
    @Label("Allocator")
    @Description("Name of the allocator or region")
    public String allocator;

    /** The stale handle or address used. */
    @Label("Handle")
    @Description("The stale handle or address used")
    public long handle;

    /** Size of the block the handle named, 0 if unknown, in bytes. */
    @Label("Size")
    @Description("Size of the block the handle named, 0 if unknown")
    @DataAmount
    public long bytes;
}
