package dev.offheap.allocator.slab;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * One thread's share of a slab allocator: the pages it owns, by size class, and its counters.
 *
 * <p>Thread-safety: every field but {@code remotePages} is touched only by {@link #thread} (or,
 * once that thread is dead, by the cache that adopts this one, under the allocator's lock; the
 * thread's termination happens-before {@code isAlive()} returning false). {@code remotePages} is a
 * multi-producer stack of pages that received remote frees: other threads push with CAS, the owner
 * takes it whole with {@code getAndSet}.
 */
final class ThreadCache {
    static final VarHandle REMOTE_PAGES;
    static final VarHandle COUNTERS = MethodHandles.arrayElementVarHandle(long[].class);

    /** Counter slots: allocations, frees, remote frees, then per class allocations and frees. */
    static final int ALLOCATIONS = 0;
    static final int FREES = 1;
    static final int REMOTE_FREES = 2;
    static final int CLASS_ALLOCATIONS = 3;
    static final int CLASS_FREES = CLASS_ALLOCATIONS + SizeClasses.COUNT;
    static final int COUNTER_SLOTS = CLASS_FREES + SizeClasses.COUNT;

    static {
        try {
            REMOTE_PAGES = MethodHandles.lookup().findVarHandle(ThreadCache.class, "remotePages", Page.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Thread thread;
    /** The page each class allocates from; may be null. */
    final Page[] current = new Page[SizeClasses.COUNT];
    /** Per class, a doubly linked list of other owned pages with free slots. */
    final Page[] availHead = new Page[SizeClasses.COUNT];
    /** Every page this cache owns, in any state. */
    Page[] owned = new Page[16];
    int ownedCount;
    /** Where the next sweep for stranded remote frees starts (see SlabAllocator#sweepStranded). */
    int sweepCursor;
    /** Caches of dead threads whose pages this one took; their queues are drained with this one's. */
    final List<ThreadCache> adoptees = new ArrayList<>();
    /** Plain counters written by the owner only, read with getOpaque by snapshots. */
    final long[] counters = new long[COUNTER_SLOTS];
    /** Guarded by the allocator's lock: when this cache was adopted. */
    long adoptedAtNanos;

    volatile Page remotePages;

    ThreadCache(Thread thread) {
        this.thread = thread;
    }

    /** Queues a page that received a remote free; any thread, once per {@code queued} 0 → 1. */
    void enqueueRemote(Page page) {
        Page head;
        do {
            head = (Page) REMOTE_PAGES.getVolatile(this);
            page.nextRemotePage = head; // plain: published by the CAS below
        } while (!REMOTE_PAGES.compareAndSet(this, head, page));
    }

    /** {@return every queued page at once, linked through nextRemotePage} Owner only. */
    Page takeRemotePages() {
        return (Page) REMOTE_PAGES.getAndSet(this, (Page) null);
    }

    void addOwned(Page page) {
        if (ownedCount == owned.length) {
            owned = java.util.Arrays.copyOf(owned, ownedCount * 2);
        }
        page.ownedIndex = ownedCount;
        owned[ownedCount++] = page;
    }

    void removeOwned(Page page) {
        int i = page.ownedIndex;
        Page last = owned[--ownedCount];
        owned[i] = last;
        last.ownedIndex = i;
        owned[ownedCount] = null;
        page.ownedIndex = -1;
    }

    void addAvail(Page page) {
        int c = page.sizeClass;
        Page head = availHead[c];
        page.availPrev = null;
        page.availNext = head;
        if (head != null) {
            head.availPrev = page;
        }
        availHead[c] = page;
        page.inAvail = true;
    }

    void removeAvail(Page page) {
        if (page.availPrev != null) {
            page.availPrev.availNext = page.availNext;
        } else {
            availHead[page.sizeClass] = page.availNext;
        }
        if (page.availNext != null) {
            page.availNext.availPrev = page.availPrev;
        }
        page.availPrev = null;
        page.availNext = null;
        page.inAvail = false;
    }
}
