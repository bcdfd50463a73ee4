package dev.offheap.allocator.slab;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Finds the cache a thread allocates and frees through, without a {@link ThreadLocal} on the common
 * path.
 * <ul>
 *   <li>A platform thread holds a cache for its life, found at {@code byThread[threadId & mask]}
 *       with an owner check (one load and one compare). A thread whose slot is taken by another
 *       live thread finds its cache through a {@link ThreadLocal} instead.</li>
 *   <li>A virtual thread never gets pages of its own: it borrows a pooled cache for one call, taken
 *       with a try-lock (a CAS on the cache's lock word), and gives it back at the end of the call.
 *       The pool grows to at most {@link #maxPooled} caches; when every one is busy the caller
 *       spins, yielding.</li>
 *   <li>The cache of a platform thread that died goes back to the pool (found on the slow path of
 *       {@link #claim}, and by {@link #reclaimDead}), with its pages: nothing is stranded.</li>
 * </ul>
 *
 * <p>Thread-safety: thread-safe; the table and the pool change under {@link #lock} and are
 * published with volatile stores.
 */
final class CacheDirectory {
    private static final int TABLE_SIZE = 256;
    private static final int MASK = TABLE_SIZE - 1;

    private final Object lock = new Object();
    private final Supplier<ThreadCache> factory;
    private final int maxPooled;
    /** Entries are replaced under the lock; a stale read only sends the caller to the slow path. */
    private final ThreadCache[] byThread = new ThreadCache[TABLE_SIZE];
    private final ThreadLocal<ThreadCache> collided = new ThreadLocal<>();
    /** Every cache ever made, pooled or held. Copy on write under the lock. */
    private volatile ThreadCache[] all = new ThreadCache[0];

    CacheDirectory(Supplier<ThreadCache> factory, int maxPooled) {
        this.factory = factory;
        this.maxPooled = maxPooled;
    }

    /** {@return the cache {@code thread} holds for its life, or null (virtual, collided or new)} */
    ThreadCache platform(Thread thread) {
        return platform(byThread, thread);
    }

    /**
     * {@link #platform(Thread)} on the table {@link #byThreadTable()} returned: the fast paths keep
     * the table in a field of their own, one dependent load fewer per call.
     */
    static ThreadCache platform(ThreadCache[] byThread, Thread thread) {
        ThreadCache cache = byThread[(int) thread.threadId() & MASK];
        return cache != null && cache.thread == thread ? cache : null;
    }

    /** {@return the table {@link #platform} reads; the same array for the directory's life} */
    ThreadCache[] byThreadTable() {
        return byThread;
    }

    /** {@return the cache of a platform thread that missed {@link #platform}: collided, or its first call} */
    ThreadCache claim(Thread thread) {
        ThreadCache cache = collided.get();
        if (cache != null) {
            return cache;
        }
        synchronized (lock) {
            reclaimDeadLocked();
            cache = takeIdleLocked();
            if (cache == null) {
                cache = factory.get();
                cache.tryLock();
                addLocked(cache);
            }
            cache.thread = thread; // held for the thread's life: the lock stays taken
            int i = (int) thread.threadId() & MASK;
            ThreadCache there = byThread[i];
            if (there == null || there.thread == null) {
                byThread[i] = cache;
            } else {
                collided.set(cache);
            }
            return cache;
        }
    }

    /** {@return a pooled cache, locked for the caller}: for a virtual thread's call; give it back with {@link ThreadCache#unlock} */
    ThreadCache borrow(Thread thread, ThreadCache preferred) {
        if (preferred != null && preferred.thread == null && preferred.tryLock()) {
            preferred.borrows++;
            return preferred;
        }
        for (int spins = 0; ; spins++) {
            ThreadCache[] caches = all;
            int n = caches.length;
            int start = n == 0 ? 0 : (int) (thread.threadId() % n);
            for (int k = 0; k < n; k++) {
                ThreadCache c = caches[(start + k) % n];
                if (c.thread == null && c.tryLock()) {
                    c.borrows++;
                    return c;
                }
            }
            synchronized (lock) {
                if (pooledLocked() < maxPooled) {
                    ThreadCache c = factory.get();
                    c.tryLock();
                    addLocked(c);
                    return c;
                }
            }
            if ((spins & 7) == 7) {
                reclaimDead();
            }
            Thread.yield();
        }
    }

    /** Gives the caches of dead platform threads back to the pool. Any thread. */
    void reclaimDead() {
        synchronized (lock) {
            reclaimDeadLocked();
        }
    }

    private void reclaimDeadLocked() {
        java.util.List<ThreadCache> dead = new java.util.ArrayList<>();
        for (ThreadCache c : all) {
            Thread t = c.thread;
            if (t != null && !t.isAlive()) {
                dead.add(c); // isAlive() false: the dead thread's writes to the cache happen-before what follows
            }
        }
        for (ThreadCache c : dead) {
            c.flushOutgoing(); // first every dead cache's batches, so the drains below see them
        }
        for (ThreadCache c : dead) {
            c.trim();
            for (int i = 0; i < TABLE_SIZE; i++) {
                if (byThread[i] == c) {
                    byThread[i] = null;
                }
            }
            c.thread = null;
            c.unlock(); // pooled from now on
        }
    }

    /**
     * Before a carve: gives dead threads' caches back to the pool and drains every idle pooled cache
     * (its empty pages but the current ones go back; the current ones too if no virtual thread
     * borrowed it since the last pass) before a new page is carved. Takes the
     * directory's lock and, inside, the page heap's: never call it holding the page heap's lock.
     */
    void reclaimBeforeCarve() {
        synchronized (lock) {
            reclaimDeadLocked();
        }
        for (ThreadCache idle : lockIdlePooled()) {
            try {
                if (idle.borrows == idle.borrowsSeen) {
                    idle.trim(); // not borrowed since the last pass: its empty current pages go back too
                } else {
                    idle.collect(); // in use: its current pages serve the next borrower
                }
                idle.borrowsSeen = idle.borrows;
            } finally {
                idle.unlock();
            }
        }
    }

    private ThreadCache takeIdleLocked() {
        for (ThreadCache c : all) {
            if (c.thread == null && c.tryLock()) {
                return c;
            }
        }
        return null;
    }

    private int pooledLocked() {
        int n = 0;
        for (ThreadCache c : all) {
            if (c.thread == null) {
                n++;
            }
        }
        return n;
    }

    private void addLocked(ThreadCache cache) {
        ThreadCache[] old = all;
        ThreadCache[] grown = java.util.Arrays.copyOf(old, old.length + 1);
        grown[old.length] = cache;
        all = grown; // volatile: publishes the new cache to borrowers and snapshots
    }

    /** {@return every cache, for snapshots} */
    ThreadCache[] all() {
        return all;
    }

    /** {@return the pooled caches not in use right now, each locked for the caller} */
    List<ThreadCache> lockIdlePooled() {
        List<ThreadCache> idle = new ArrayList<>();
        for (ThreadCache c : all) {
            if (c.thread == null && c.tryLock()) {
                idle.add(c);
            }
        }
        return idle;
    }
}
