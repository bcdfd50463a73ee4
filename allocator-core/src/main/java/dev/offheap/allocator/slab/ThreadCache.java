package dev.offheap.allocator.slab;

import dev.offheap.allocator.Handles;
import dev.offheap.allocator.HeapCorruptionException;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A cache of pages, one current page per size class plus the others with free slots, and the
 * allocate and free paths over them. A cache is held by one thread at a time: a platform thread
 * holds its own for its whole life; virtual threads borrow one of a small pool for one call (see
 * {@link CacheDirectory}); a dead platform thread's cache goes back to that pool.
 *
 * <h2>Fast paths (owner, no lock, no CAS)</h2>
 * Allocate pops the current page's allocation list, writes the slot's state word LIVE (release) and
 * counts one plain increment; free by the owner checks the state word, stores it FREE (release) and
 * pushes the slot on the owner-free list. Everything else (lists running dry, a page falling empty,
 * misuse) is in other methods.
 *
 * <h2>Remote frees, in batches</h2>
 * A free of a block whose page another cache owns moves the slot's state word LIVE → REMOTE by CAS
 * (so of two remote frees one wins, and the loser throws at the call) and appends the handle to an
 * open {@link RemoteBatch} for that owner (plain). A batch is sent (one CAS) when full, when the
 * freer runs a slow path, when it has been open for {@value #AGE_LIMIT} of the freer's remote
 * frees, or when a dead thread's cache is reclaimed.
 *
 * <h2>The owner's plain free racing a remote free of the same block</h2>
 * Both may read LIVE; the remote CAS wins its word and the owner's store overwrites it with FREE, so
 * both return normally. That is reconciled exactly at the owner's drain: a batch entry frees its
 * slot only if the word is REMOTE with the entry's generation; a LIVE value names one (slot,
 * generation) once, so REMOTE with that generation does too, and an entry whose word says anything
 * else lost such a race: it is counted once as a double free and changes nothing. Frees are counted
 * where a slot goes back on a list (owner free, drained entry), never by the remote freer, and a page
 * counts a remotely freed block as used until it is drained, so live counts stay exact and a page is
 * never retired while a legitimate entry for it is on its way.
 *
 * <p>Thread-safety: every field but the inbox, the return stack, {@link #thread} and the lock word
 * belongs to the holder. Counters are plain, read with opaque loads by snapshots.
 */
final class ThreadCache {
    /** Open batches per cache, each for one destination. */
    static final int OPEN_BATCHES = 4;
    /** Remote frees of this cache after which an open batch is sent, however few it holds. */
    static final long AGE_LIMIT = 4096;
    /** Pages of the avail list the slow path compares, to allocate from the fullest. */
    static final int FULLEST_OF = 8;

    private static final VarHandle LOCK;
    private static final VarHandle SWITCH;
    private static final VarHandle INBOX;
    private static final VarHandle RETURNED;
    private static final VarHandle COUNTERS = MethodHandles.arrayElementVarHandle(long[].class);

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            LOCK = l.findVarHandle(ThreadCache.class, "lock", int.class);
            SWITCH = l.findVarHandle(ThreadCache.class, "switching", int.class);
            INBOX = l.findVarHandle(ThreadCache.class, "inbox", RemoteBatch.class);
            RETURNED = l.findVarHandle(ThreadCache.class, "returned", RemoteBatch.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final PageHeap heap;
    private final BlockMode mode;
    private final SlabValidation validation;
    private final long handleHigh;

    private final Page[] current = new Page[SizeClasses.COUNT];
    private final Page[] availHead = new Page[SizeClasses.COUNT];
    /** Allocations per class: the one counter on the fast path. */
    private final long[] allocations = new long[SizeClasses.COUNT];
    /** Per class: remote frees this cache won (CAS), entries it took back, entries it found racing. */
    private final long[] remoteFrees = new long[SizeClasses.COUNT];
    private final long[] remoteTaken = new long[SizeClasses.COUNT];
    private final long[] racingFrees = new long[SizeClasses.COUNT];

    /**
     * The platform thread that holds this cache for its life, or null while pooled. Plain: it is set
     * by that thread itself (under the directory's lock) and compared only with the reader's own
     * thread, so a reader sees its own write; others see it through the lock, or see a stale value
     * that only sends them to a slow path that takes the lock or the cache's lock word.
     */
    Thread thread;
    /** 1 while a thread holds the cache. */
    private volatile int lock;
    /**
     * 1 while the holder makes a page current, or while another thread purges a page of this cache
     * that is not current (see {@link #purgeIfNotCurrent}). The holder allocates only from its
     * current pages, so a page that is not current when the purger takes this word cannot hand out
     * a slot until the purger lets go of it.
     */
    private volatile int switching;
    /** Times a virtual thread borrowed this pooled cache, and that count at the last reclaim pass: holder only. */
    int borrows;
    int borrowsSeen;

    private volatile RemoteBatch inbox;
    private volatile RemoteBatch returned;
    private final RemoteBatch[] outgoing = new RemoteBatch[OPEN_BATCHES];
    private RemoteBatch spares;
    private long remoteClock;

    ThreadCache(PageHeap heap, BlockMode mode, SlabValidation validation) {
        this.heap = heap;
        this.mode = mode;
        this.validation = validation;
        this.handleHigh = validation.handleHigh;
    }

    // ------------------------------------------------------------------ holding

    boolean tryLock() {
        return lock == 0 && LOCK.compareAndSet(this, 0, 1);
    }

    void unlock() {
        LOCK.setRelease(this, 0); // publishes the holder's writes to the next holder's CAS
    }

    boolean isLocked() {
        return lock != 0;
    }

    // ------------------------------------------------------------------ allocate

    long allocate(int sizeClass, long byteSize) {
        Page page = current[sizeClass];
        if (page != null) {
            int slot = page.freeHead;
            if (slot != Page.END) {
                page.freeHead = page.lpLink(slot);
                return handOut(page, slot, byteSize);
            }
        }
        return allocateSlow(sizeClass, byteSize);
    }

    private long handOut(Page page, int slot, long byteSize) {
        int generation = SlotState.generation(page.lpState(slot)); // FREE: only the holder writes it now
        mode.prepare(page, slot, byteSize);
        page.used++;
        page.soState(slot, SlotState.of(generation, SlotState.LIVE));
        allocations[page.sizeClass]++;
        return handleHigh | ((long) generation << Handles.GENERATION_SHIFT)
                | SegmentDescriptor.location(page.id, slot);
    }

    private long allocateSlow(int sizeClass, long byteSize) {
        drainInbox();
        flushOutgoing();
        Page page = current[sizeClass];
        if (page == null || !page.refill(mode.zeroOnRefill)) {
            page = nextPage(sizeClass, page);
        }
        int slot = page.freeHead;
        page.freeHead = page.lpLink(slot);
        return handOut(page, slot, byteSize);
    }

    /** The current page has no free slot: allocate from the fullest listed page, or carve one. */
    private Page nextPage(int sizeClass, Page old) {
        if (old != null) {
            current[sizeClass] = null;
            old.listed = false; // full: listed again when a block of it is freed
            if (old.used == 0) {
                heap.retire(old); // every slot retired at the generation wrap
            }
        }
        Page page = takeFullest(sizeClass);
        if (page == null) {
            heap.reclaimBeforeCarve();
            page = heap.carve(this, sizeClass);
        }
        page.listed = true;
        makeCurrent(sizeClass, page);
        if (page.freeHead == Page.END) {
            page.refill(mode.zeroOnRefill);
        }
        return page;
    }

    /** Waits for a purge of the page by another thread, if one runs (one page's syscalls at most). */
    private void makeCurrent(int sizeClass, Page page) {
        while (!SWITCH.compareAndSet(this, 0, 1)) {
            Thread.onSpinWait();
        }
        current[sizeClass] = page;
        SWITCH.setRelease(this, 0); // the next purger's CAS sees this page current
    }

    /** Mimalloc's and jemalloc's rule: allocate from the fullest page, so sparse ones drain and go back. */
    private Page takeFullest(int sizeClass) {
        Page best = null;
        int n = 0;
        for (Page p = availHead[sizeClass]; p != null && n < FULLEST_OF; p = p.availNext, n++) {
            if (best == null || p.used > best.used) {
                best = p;
                if (p.used >= p.capacity - 1) {
                    break; // one free slot: none can be fuller, and each page read is a cache miss
                }
            }
        }
        if (best != null) {
            removeAvail(best);
        }
        return best;
    }

    // ------------------------------------------------------------------ free

    /** The holder owns the page. */
    void freeLocal(Page page, int slot, long handle) {
        int live = SlotState.liveOf(handle);
        if (page.lpState(slot) != live) {
            throw validation.reject(page, slot, handle, true);
        }
        completeLocalFree(page, slot, handle, live);
    }

    /** The owner's free once its check passed: also the test hook for the racing interleaving. */
    void completeLocalFree(Page page, int slot, long handle, int live) {
        HeapCorruptionException overrun = mode.checkOnFree(page, slot, handle);
        int freed = SlotState.freedOf(Handles.generation(handle));
        if (!mode.ownerFree(page, slot, live, freed)) {
            throw validation.reject(page, slot, handle, true); // checked mode: a remote free won
        }
        mode.afterFree(page, slot);
        release(page, slot, freed);
        if (overrun != null) {
            throw overrun;
        }
    }

    /** Another cache owns the page: win the slot by CAS, then batch the handle for its owner. */
    void freeRemote(Page page, int slot, long handle) {
        int generation = Handles.generation(handle);
        if (!page.casState(slot, SlotState.liveOf(handle), SlotState.of(generation, SlotState.REMOTE))) {
            throw validation.reject(page, slot, handle, true);
        }
        HeapCorruptionException overrun = mode.checkOnFree(page, slot, handle);
        mode.afterFree(page, slot);
        int sizeClass = page.sizeClass;
        COUNTERS.setOpaque(remoteFrees, sizeClass, remoteFrees[sizeClass] + 1);
        ThreadCache owner = page.lvOwner();
        if (owner == null) {
            // The owner's plain free of this very block read LIVE before this CAS and wrote over our
            // REMOTE word, then emptied and retired the page: both frees passed. Counted here as the
            // owner's drain counts a racing double free, and nothing is queued for a page with no owner.
            COUNTERS.setOpaque(racingFrees, sizeClass, racingFrees[sizeClass] + 1);
            validation.check.countDoubleFree(handle, SizeClasses.blockBytes(sizeClass));
        } else {
            // A stale owner (the page retired and carved again since) sees a word that is not our
            // REMOTE one at its drain, and counts the same racing double free there.
            send(owner, handle, sizeClass);
        }
        if (overrun != null) {
            throw overrun;
        }
    }

    /** A slot's block is gone: the slot goes back on the owner-free list unless it retired. Holder only. */
    private void release(Page page, int slot, int freed) {
        if (SlotState.state(freed) == SlotState.FREE) {
            page.pushLocal(slot);
        }
        page.purgeable = true;
        if (--page.used == 0 || !page.listed) {
            settle(page);
        }
    }

    /** A page gained a free slot: list it again, or give it back if it is empty and not current. */
    private void settle(Page page) {
        boolean isCurrent = current[page.sizeClass] == page;
        if (page.used == 0 && !isCurrent) {
            if (page.listed) {
                removeAvail(page);
            }
            heap.retire(page);
        } else if (!page.listed && page.hasFree()) {
            addAvail(page);
            heap.purgeLater(); // a page that was full: its free runs go back after the decay delay
        }
    }

    // ------------------------------------------------------------------ remote batches

    private void send(ThreadCache destination, long handle, int sizeClass) {
        RemoteBatch batch = null;
        int empty = -1;
        int oldest = -1;
        for (int i = 0; i < OPEN_BATCHES; i++) {
            RemoteBatch open = outgoing[i];
            if (open == null) {
                empty = i;
            } else if (open.destination == destination) {
                batch = open;
                empty = i;
                break;
            } else if (oldest < 0 || open.openedAt < outgoing[oldest].openedAt) {
                oldest = i;
            }
        }
        if (batch == null) {
            if (empty < 0) {
                flush(oldest);
                empty = oldest;
            }
            batch = takeSpare();
            batch.destination = destination;
            batch.count = 0;
            batch.openedAt = remoteClock;
            outgoing[empty] = batch;
        }
        batch.sizeClasses[batch.count] = (byte) sizeClass;
        batch.handles[batch.count++] = handle;
        remoteClock++;
        if (batch.count == RemoteBatch.CAPACITY) {
            flush(empty);
        } else if (oldest >= 0 && remoteClock - outgoing[oldest].openedAt > AGE_LIMIT) {
            flushOutgoing();
        }
    }

    private void flush(int i) {
        RemoteBatch batch = outgoing[i];
        outgoing[i] = null;
        batch.destination.receive(batch);
    }

    /** Sends every open batch. Holder only (or the reclaimer of a dead thread's cache). */
    void flushOutgoing() {
        for (int i = 0; i < OPEN_BATCHES; i++) {
            if (outgoing[i] != null) {
                flush(i);
            }
        }
    }

    /** Any thread: a batch for this cache's pages. */
    private void receive(RemoteBatch batch) {
        RemoteBatch head;
        do {
            head = inbox;
            batch.next = head; // plain: published by the CAS
        } while (!INBOX.compareAndSet(this, head, batch));
    }

    /** Any thread: a batch this cache sent, drained, for reuse. */
    private void giveBack(RemoteBatch batch) {
        RemoteBatch head;
        do {
            head = returned;
            batch.next = head;
        } while (!RETURNED.compareAndSet(this, head, batch));
    }

    private RemoteBatch takeSpare() {
        RemoteBatch batch = spares;
        if (batch == null && returned != null) {
            batch = (RemoteBatch) RETURNED.getAndSet(this, (RemoteBatch) null);
        }
        if (batch == null) {
            return new RemoteBatch(this);
        }
        spares = batch.next;
        batch.next = null;
        return batch;
    }

    /** Frees every block other caches sent back. Holder only. */
    void drainInbox() {
        if (inbox == null) {
            return;
        }
        // getAndSet: acquires every batch the senders published with their CAS
        RemoteBatch batch = (RemoteBatch) INBOX.getAndSet(this, (RemoteBatch) null);
        while (batch != null) {
            RemoteBatch next = batch.next;
            for (int i = 0; i < batch.count; i++) {
                take(batch.handles[i], batch.sizeClasses[i]);
            }
            batch.count = 0;
            batch.destination = null;
            if (batch.origin == this) {
                batch.next = spares;
                spares = batch;
            } else {
                batch.origin.giveBack(batch);
            }
            batch = next;
        }
    }

    private void take(long handle, int sizeClass) {
        Page page = heap.pageOrNull(handle);
        int slot = SegmentDescriptor.slot(Handles.location(handle));
        int generation = Handles.generation(handle);
        if (page != null && page.owner == this && slot < page.capacity
                && page.lvState(slot) == SlotState.of(generation, SlotState.REMOTE)) {
            int freed = SlotState.freedOf(generation);
            page.soState(slot, freed);
            COUNTERS.setOpaque(remoteTaken, sizeClass, remoteTaken[sizeClass] + 1);
            release(page, slot, freed);
        } else {
            // The owner's plain free overwrote this entry's REMOTE word: a racing double free.
            COUNTERS.setOpaque(racingFrees, sizeClass, racingFrees[sizeClass] + 1);
            validation.check.countDoubleFree(handle, SizeClasses.blockBytes(sizeClass));
        }
    }

    // ------------------------------------------------------------------ trim and reclaim

    /** Takes back remote frees and sends its own, so pages emptied by them go back. Holder only. */
    void collect() {
        drainInbox();
        flushOutgoing();
    }

    /** {@link #collect}, then gives back the current pages that hold no block. Holder only. */
    void trim() {
        collect();
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            Page page = current[c];
            if (page != null && page.used == 0) {
                current[c] = null;
                page.listed = false;
                heap.retire(page);
            }
        }
    }

    /**
     * Purges the OS pages inside runs of free slots of the pages this cache holds (its current
     * pages and those on its avail lists); see {@link PageHeap#purgeFreeSlots}. Holder only.
     *
     * @return the bytes purged
     */
    long purgeFreeSlots() {
        long purged = 0;
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            if (current[c] != null) {
                purged += heap.purgeFreeSlots(current[c]);
            }
            for (Page page = availHead[c]; page != null; page = page.availNext) {
                purged += heap.purgeFreeSlots(page);
            }
        }
        return purged;
    }

    /**
     * Any thread, under the page heap's lock (no carve or retire meanwhile): purges the free-slot
     * runs of {@code page}, which this cache owns, unless the holder allocates from it (it is
     * current) or is making a page current right now. Safe against the holder running meanwhile:
     * the holder writes a block's memory only when it hands the block out, and it hands out only
     * from current pages; its frees write state words and links (off-heap metadata, never purged).
     * The page's {@code purgeable} hint is raced (plain): a lost update leaves a page unpurged until
     * its next free, never purges a block.
     *
     * @return the bytes purged, 0 if skipped
     */
    long purgeIfNotCurrent(Page page) {
        if (!SWITCH.compareAndSet(this, 0, 1)) {
            return 0; // the holder is switching pages: next pass
        }
        try {
            return current[page.sizeClass] == page ? 0 : heap.purgeFreeSlots(page);
        } finally {
            SWITCH.setRelease(this, 0);
        }
    }

    // ------------------------------------------------------------------ avail lists (holder only)

    private void addAvail(Page page) {
        int c = page.sizeClass;
        Page head = availHead[c];
        page.availPrev = null;
        page.availNext = head;
        if (head != null) {
            head.availPrev = page;
        }
        availHead[c] = page;
        page.listed = true;
    }

    private void removeAvail(Page page) {
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
        page.listed = false;
    }

    // ------------------------------------------------------------------ counters, for snapshots

    long allocations(int sizeClass) {
        return (long) COUNTERS.getOpaque(allocations, sizeClass);
    }

    /** {@return remote frees this cache won for blocks of the class} */
    long remoteFrees(int sizeClass) {
        return (long) COUNTERS.getOpaque(remoteFrees, sizeClass);
    }

    /**
     * {@return blocks of the class freed remotely and not yet taken back by the owner, as far as
     * this cache's counters go}: won here, less taken or found racing here (the sum over every
     * cache is what pages still count as used though freed)
     */
    long remoteInFlight(int sizeClass) {
        return remoteFrees(sizeClass) - (long) COUNTERS.getOpaque(remoteTaken, sizeClass)
                - (long) COUNTERS.getOpaque(racingFrees, sizeClass);
    }
}
