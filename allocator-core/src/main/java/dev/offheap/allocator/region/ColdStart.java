package dev.offheap.allocator.region;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.jfr.AllocationFailureEvent;
import dev.offheap.allocator.jfr.LargeAllocationEvent;
import dev.offheap.allocator.jfr.OffHeapEvents;
import dev.offheap.allocator.jfr.RegionCommitEvent;
import dev.offheap.allocator.jfr.RegionDecommitEvent;
import dev.offheap.allocator.jfr.RegionMaintenanceFailureEvent;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;

/**
 * The class initialisation an acquire would otherwise pay on its first call, paid once per JVM when
 * the first region is built. Measured on a loaded 2-core VM (docs/region.md): the JFR event
 * classes alone took 0.6–0.8 s to load and initialise on the first acquire (an event class is
 * instrumented when it loads, recording or not); a shared arena's classes tens of milliseconds.
 *
 * <p>Thread-safety: thread-safe; class initialisation is, and a second call finds them all done.
 */
final class ColdStart {
    private static volatile boolean done;

    private ColdStart() {
    }

    /** Initialises the classes that acquire, release, decay and their failure paths touch. */
    static void initialiseClasses() {
        if (done) {
            return;
        }
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        for (Class<?> c : new Class<?>[] {OffHeapEvents.class, LargeAllocationEvent.class, RegionCommitEvent.class,
                RegionDecommitEvent.class, AllocationFailureEvent.class, RegionMaintenanceFailureEvent.class,
                OutOfOffHeapMemoryException.class, Span.class, SpanScope.class, RegionDecayDaemon.class,
                RegionCommitter.class, BackgroundPriority.class}) {
            try {
                lookup.ensureInitialized(c);
            } catch (IllegalAccessException e) {
                initialiseByName(c);
            }
        }
        // A shared arena, a segment reinterpreted into it, an access and the close: the classes
        // behind every span's scope and its invalidation. One handshake with every thread, once.
        try (Arena warm = Arena.ofShared()) {
            warm.allocate(Long.BYTES).reinterpret(Long.BYTES, warm, null).set(ValueLayout.JAVA_LONG, 0, 0L);
        }
        done = true;
    }

    private static void initialiseByName(Class<?> c) {
        try {
            Class.forName(c.getName(), true, c.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new AssertionError("a class this class names is missing", e);
        }
    }
}
