package dev.offheap.allocator.region;

import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A daemon thread shared by every region with commit ahead on, doing one kind of background work
 * for them: {@link #COMMITTER} ({@value #THREAD_NAME}) commits the chunks a region keeps ready
 * ({@link Region#topUp()}, an {@code mprotect} each, microseconds), {@link #PREFAULTER}
 * ({@value #PREFAULT_THREAD_NAME}) then faults their pages in ({@link Region#prefault()}, a
 * fraction of a millisecond of CPU per 2 MiB). So growth puts no {@code mprotect} and no page
 * fault on an allocating thread. They are two threads because the two kinds want different
 * priorities: a commit must be ready before an acquire needs it, so the committer keeps normal
 * priority and wakes at once; pre-faulting is bulk work that is only worth a CPU nobody else
 * wants, so the pre-faulter runs under {@code SCHED_IDLE} ({@link BackgroundPriority}), and an
 * application thread that wants a core takes it from the pre-faulter, never the reverse.
 *
 * <p>Thread-safety: thread-safe. A region asks (under its lock) when it has work of this kind;
 * the thread runs the work without this class's lock, so the lock order is always region, then
 * this. Regions are held weakly while registered (from build to close) and strongly only while
 * work is pending. The thread starts when the first such region is built, survives any failure of
 * one region's work (reported by that region, see {@link Region#maintenanceFailures()}), and ends
 * once no open region is registered: closing the last region stops it.
 */
final class RegionCommitter {
    /** The name of the committer thread. */
    static final String THREAD_NAME = "offheap-region-commit";
    /** The name of the pre-faulter thread. */
    static final String PREFAULT_THREAD_NAME = "offheap-region-prefault";
    /** Commits ready chunks, at normal priority. */
    static final RegionCommitter COMMITTER = new RegionCommitter(THREAD_NAME, "commit-ahead", false, Region::topUp);
    /** Pre-faults committed chunks, under {@code SCHED_IDLE}. */
    static final RegionCommitter PREFAULTER = new RegionCommitter(PREFAULT_THREAD_NAME, "pre-fault", true, Region::prefault);
    /** How often an idle thread checks whether every region it served is gone (closed or collected). */
    private static final long IDLE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String threadName;
    /** The task name of a failure's report. */
    private final String task;
    private final boolean idlePriority;
    private final Consumer<Region> work;
    /** Guards {@link #registered} and the thread's start and end; never taken to ask for work. */
    private final Object lock = new Object();
    /** Open regions with commit ahead on. Guarded by lock. */
    private final Map<Region, Boolean> registered = new WeakHashMap<>();
    /**
     * Regions whose work was asked for and has not started, in request order (a region may be in
     * twice; its work is idempotent). Lock-free: a thread under {@code SCHED_IDLE} must never hold a
     * lock an application thread may wait for.
     */
    private final ConcurrentLinkedQueue<Region> pending = new ConcurrentLinkedQueue<>();
    /** The running thread, or null. Written under lock. */
    private volatile Thread thread;

    private RegionCommitter(String threadName, String task, boolean idlePriority, Consumer<Region> work) {
        this.threadName = threadName;
        this.task = task;
        this.idlePriority = idlePriority;
        this.work = work;
    }

    /**
     * Registers a region built with commit ahead on and starts the thread if it is not running (at
     * build, so that the first acquire does not pay a thread start); the thread stays while some
     * region is registered.
     */
    void register(Region region) {
        synchronized (lock) {
            registered.put(region, Boolean.TRUE);
            if (thread == null) {
                thread = Thread.ofPlatform().name(threadName).daemon(true).unstarted(this::run);
                thread.start();
            }
        }
    }

    /** Forgets a closed region; if it was the last one, the thread ends. */
    void deregister(Region region) {
        synchronized (lock) {
            registered.remove(region);
            pending.remove(region);
        }
        LockSupport.unpark(thread);
    }

    /**
     * Asks for the region's work on this thread; takes no lock. The region must be registered (from
     * its build to its close), so the thread runs: it ends only once none is.
     */
    void request(Region region) {
        pending.add(region);
        LockSupport.unpark(thread);
    }

    private void run() {
        if (idlePriority) {
            BackgroundPriority.lowerCurrentThread();
        }
        try {
            while (true) {
                Region next = pending.poll();
                if (next == null) {
                    synchronized (lock) {
                        if (registered.isEmpty()) { // expunges collected regions first
                            thread = null; // under lock: a register after this starts another
                            return;
                        }
                    }
                    if (pending.isEmpty()) { // a request between poll and park unparks it: no lost wake-up
                        LockSupport.parkNanos(this, IDLE_CHECK_NANOS);
                    }
                    continue;
                }
                try {
                    work.accept(next); // no lock of ours held: the work takes the region's
                } catch (Throwable t) {
                    // Any failure of one region (its work reports its own syscall failures) must not
                    // stop the others' commit ahead; OutOfMemoryError included: the thread holds
                    // nothing, and a dead committer would put every later commit on the callers.
                    next.reportMaintenanceFailure(task, t);
                }
            }
        } finally {
            synchronized (lock) {
                if (thread == Thread.currentThread()) {
                    thread = null;
                }
            }
        }
    }
}
