package dev.offheap.allocator.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A block freed a second time (or a stale handle freed), caught and refused.
 *
 * <p>Thread-safety: an event object belongs to the thread that fills and commits it; emit through
 * {@link OffHeapEvents}, which does nothing unless a recording has the event enabled.
 */
@Name(OffHeapEvents.PREFIX + "DoubleFree")
@Label("Off-Heap Double Free")
@Category(OffHeapEvents.CATEGORY)
@Description("A block freed a second time (or a stale handle freed), caught and refused.")
@StackTrace(true)
public final class DoubleFreeEvent extends jdk.jfr.Event {
    /** Makes an empty event; {@link OffHeapEvents} fills and commits it. */
    public DoubleFreeEvent() {
    }

    /** Name of the allocator or region. */
    @Label("Allocator")
    @Description("Name of the allocator or region")
    public String allocator;

    /** The handle or address passed to free. */
    @Label("Handle")
    @Description("The handle or address passed to free")
    public long handle;

    /** Size of the block the handle named, 0 if unknown, in bytes. */
    @Label("Size")
    @Description("Size of the block the handle named, 0 if unknown")
    @DataAmount
    public long bytes;
}
