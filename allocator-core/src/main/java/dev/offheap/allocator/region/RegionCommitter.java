package dev.offheap.allocator.region;

import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One daemon thread, {@value #THREAD_NAME}, shared by every region with commit ahead on, that
 * commits and pre-faults the chunks a region keeps ready ({@link Region#topUp()}), so that growth
 * puts no {@code mprotect} and no page fault on an allocating thread.
 *
 * <p>Thread-safety: thread-safe. An acquire asks (under its region's lock) when fewer chunks than
 * the region keeps are ready; the thread runs the region's top-up without this class's lock, so
 * the lock order is always region, then committer. Regions are held weakly while registered (from
 * build to close) and strongly only while a top-up is pending. The thread starts when the first
 * such region is built, survives any failure of one region's top-up (reported by that region, see
 * {@link Region#maintenanceFailures()}), and ends once no open region is registered: closing the
 * last region stops it.
 */
final class RegionCommitter {
    /** The name of the committer thread. */
    static final String THREAD_NAME = "offheap-region-commit";
    /** How often an idle committer checks whether every region it served is gone (closed or collected). */
    private static final long IDLE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Object LOCK = new Object();
    /** Open regions with commit ahead on. Guarded by LOCK. */
    private static final Map<Region, Boolean> REGISTERED = new WeakHashMap<>();
    /** Regions whose top-up was asked for and has not started, in request order. Guarded by LOCK. */
    private static final Set<Region> PENDING = new LinkedHashSet<>();
    /** Guarded by LOCK. */
    private static Thread thread;

    private RegionCommitter() {
    }

    /**
     * Registers a region built with commit ahead on and starts the thread if it is not running (at
     * build, so that the first acquire does not pay a thread start); the thread stays while some
     * region is registered.
     */
    static void register(Region region) {
        synchronized (LOCK) {
            REGISTERED.put(region, Boolean.TRUE);
            startIfStopped();
        }
    }

    /** Starts the thread unless it runs; the caller holds LOCK. */
    private static void startIfStopped() {
        if (thread == null) {
            thread = Thread.ofPlatform().name(THREAD_NAME).daemon(true).unstarted(RegionCommitter::run);
            thread.start();
        }
    }

    /** Forgets a closed region; if it was the last one, the thread ends. */
    static void deregister(Region region) {
        synchronized (LOCK) {
            REGISTERED.remove(region);
            PENDING.remove(region);
            LOCK.notifyAll();
        }
    }

    /** Asks for the region's top-up on the committer thread, starting the thread if it is not running. */
    static void request(Region region) {
        synchronized (LOCK) {
            REGISTERED.put(region, Boolean.TRUE);
            PENDING.add(region);
            startIfStopped();
            LOCK.notifyAll();
        }
    }

    /** {@return whether the committer thread is running, for tests} */
    static boolean isRunning() {
        synchronized (LOCK) {
            return thread != null;
        }
    }

    private static void run() {
        try {
            while (true) {
                Region next;
                synchronized (LOCK) {
                    while (PENDING.isEmpty()) {
                        if (REGISTERED.isEmpty()) { // expunges collected regions first
                            return;
                        }
                        TimeUnit.NANOSECONDS.timedWait(LOCK, IDLE_CHECK_NANOS);
                    }
                    Iterator<Region> it = PENDING.iterator();
                    next = it.next();
                    it.remove();
                }
                try {
                    next.topUp(); // no lock of ours held: the top-up takes the region's
                } catch (Throwable t) {
                    // Any failure of one region (topUp reports its own syscall failures) must not
                    // stop the others' commit ahead; OutOfMemoryError included: the thread holds
                    // nothing, and a dead committer would put every later commit on the callers.
                    next.reportMaintenanceFailure("commit-ahead", t);
                }
            }
        } catch (InterruptedException e) {
            // nobody interrupts it but a JVM shutting down; a later request starts another
        } finally {
            synchronized (LOCK) {
                if (thread == Thread.currentThread()) {
                    thread = null;
                }
            }
        }
    }
}
