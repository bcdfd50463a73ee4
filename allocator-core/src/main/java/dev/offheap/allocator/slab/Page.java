package dev.offheap.allocator.slab;

import dev.offheap.allocator.internal.Zeroing;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One slab page: a run of units of a segment holding blocks of one size class, and the heap side
 * of its metadata (the per-slot side is off-heap, in its {@link SlotTable}). One {@code Page} object
 * exists per page id for the allocator's life, so a page keeps {@link #base} (the generation its next
 * carving starts at) across carvings.
 *
 * <h2>Access modes (JCTools' names)</h2>
 * {@code lp} plain load, {@code lv} acquire load, {@code sp} plain store, {@code so} release
 * store, {@code cas} compare-and-set.
 *
 * <h2>Who writes what</h2>
 * <ul>
 *   <li>Layout ({@link #memory} … {@link #capacity}, {@link #statesAt}, {@link #linksAt}): under the page heap's lock at
 *       carve and retire. A thread that got a handle from the owner got it after those writes.</li>
 *   <li>State words: the owner with release stores; other threads only with CAS from LIVE to
 *       REMOTE; read with acquire.</li>
 *   <li>Links and the list heads ({@link #freeHead}, {@link #localHead}), {@link #used},
 *       {@link #fresh}, the avail links: the owner cache only, plain. Two free lists, as
 *       mimalloc's {@code free} and {@code local_free}: allocation pops {@code freeHead}, the
 *       owner's free pushes {@code localHead}, and the second becomes the first only when the first
 *       runs dry, so a free and the next allocation do not touch the same list head.</li>
 *   <li>{@link #owner}: under the lock (carve, retire) with a release store; read with acquire by
 *       remote freers to find where to send a batch.</li>
 * </ul>
 */
final class Page {
    static final int END = -1;
    /** Java heap of one page object, about: header, 14 ints and longs, 8 references. */
    static final int HEAP_BYTES = 136;
    private static final VarHandle STATE = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle OWNER;

    static {
        try {
            OWNER = MethodHandles.lookup().findVarHandle(Page.class, "owner", ThreadCache.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int id;

    // --- layout: under the page heap's lock
    Segment segment;
    int firstUnit;
    int units;
    /** Byte offset of slot 0 in {@link #memory}. */
    long offset;
    /** The span's segment: every access to a block goes through it and dies with its scope. */
    MemorySegment memory;
    int sizeClass;
    int blockBytes;
    /** Slots of the current carving; 0 while not carved. */
    int capacity;
    /** The slot table lent to this carving, or null while not carved. */
    SlotTable table;
    /**
     * Offsets in {@link SlotTableMemory#ALL} of the table's state words and of its links; kept after
     * retire, where a racing reader still finds mapped memory.
     */
    long statesAt;
    long linksAt;
    /** The generation every slot of the next carving starts at: above every one ever handed out here. */
    int base = 1;
    /** Whether {@link #base} passed the largest generation: the page id is never carved again. */
    boolean dead;
    /** Checked mode's per-slot data, or null. */
    CheckedSlots checked;

    // --- owner cache only, plain
    int freeHead = END;
    int localHead = END;
    /**
     * Slots below it have been put on a free list since the carve; those at or above it are free,
     * their state words written at the carve but their links not yet: {@link #extend} links them a
     * run at a time (mimalloc's page extension), so a carve does not write a link per slot.
     */
    int extent;
    int used;
    /**
     * Slots at or above this index are not linked and have not held a block since their memory was
     * known zero: {@link #refill} zeroes only the never-linked slots below it.
     */
    int fresh;
    /** Whether a slot was freed (or the page carved) since the holder last purged its free slots. */
    boolean purgeable;
    /** Whether the page is its cache's current page of its class or on its avail list. */
    boolean listed;
    Page availPrev;
    Page availNext;

    /**
     * Set under the heap's lock (release store), read plain by the free path: only a page's own
     * owner can see itself there (it carved the page, or got a handle of it through a happens-before
     * edge after someone else did); a stale read only sends a free down the remote path, whose CAS
     * checks the state word. Remote freers read it with acquire ({@link #lvOwner}).
     */
    ThreadCache owner;

    Page(int id) {
        this.id = id;
    }

    long blockOffset(int slot) {
        return offset + (long) slot * blockBytes;
    }

    // Every access goes through the one constant segment of all slot tables, whose checks C2
    // folds (SlotTableMemory); callers pass a slot below capacity, so it stays in this page's table.

    int lvState(int slot) {
        return (int) STATE.getAcquire(SlotTableMemory.ALL, statesAt + ((long) slot << 2));
    }

    // Plain accesses use the unaligned layouts: the table is 4-byte aligned by construction, and
    // they skip the alignment check on every access (atomic modes keep the aligned handle).
    int lpState(int slot) {
        return SlotTableMemory.ALL.get(ValueLayout.JAVA_INT_UNALIGNED, statesAt + ((long) slot << 2));
    }

    void soState(int slot, int word) {
        // publishes the block's bytes and state to validators
        STATE.setRelease(SlotTableMemory.ALL, statesAt + ((long) slot << 2), word);
    }

    boolean casState(int slot, int expected, int word) {
        return STATE.compareAndSet(SlotTableMemory.ALL, statesAt + ((long) slot << 2), expected, word);
    }

    int lpLink(int slot) {
        return SlotTableMemory.ALL.get(ValueLayout.JAVA_SHORT_UNALIGNED, linksAt + ((long) slot << 1));
    }

    void spLink(int slot, int next) {
        SlotTableMemory.ALL.set(ValueLayout.JAVA_SHORT_UNALIGNED, linksAt + ((long) slot << 1), (short) next);
    }

    /** Pushes a slot on the owner-free list. Owner only. */
    void pushLocal(int slot) {
        spLink(slot, localHead);
        localHead = slot;
    }

    /**
     * Bytes of blocks one {@link #refill} links onto the allocation list at most: one OS page, as
     * mimalloc extends a page's free list. A thread that frees what it allocates cycles through
     * the slots linked so far (the owner-free list becomes the allocation list before anything
     * more is linked), so this bounds the memory that cycle keeps touching per size class, and the
     * zeroing one refill does.
     */
    static final int EXTEND_BYTES = 4096;
    /** The fewest and most slots one {@link #refill} links. */
    static final int MIN_EXTEND_SLOTS = 4;
    static final int MAX_EXTEND_SLOTS = 256;

    /**
     * Makes the allocation list non-empty if the page has a free slot: the owner-free list first
     * (slots used before, their memory warm), else the next run of never-linked slots. The
     * allocation list must be empty. Owner only.
     *
     * <p>With {@code zero}, every block the new list holds reads zero when this returns: blocks
     * are zeroed here, a run of neighbours at a time, not one by one as they are handed out (a
     * 64-byte zeroing copy in the allocate path cost ≈ 9 ns of 26 with its call and spills). The
     * allocation list holds only blocks no one owns, so nothing legitimate writes them before they
     * are handed out.
     *
     * @param zero whether the blocks handed out must read zero
     * @return false if the page has no free slot
     */
    boolean refill(boolean zero) {
        return swapLocal(zero) || extend(zero);
    }

    /**
     * The most bytes one refill zeroes: what one allocate of the largest class zeroed when blocks
     * were zeroed as they were handed out, so batching adds no longer stall than that.
     */
    static final int MAX_ZERO_BYTES = 64 * 1024;

    /** {@return the most slots one refill links; fewer (at least one) where it must zero them} */
    private int slotsPerRefill(boolean zeroing) {
        int slots = Math.max(MIN_EXTEND_SLOTS, Math.min(MAX_EXTEND_SLOTS, EXTEND_BYTES / blockBytes));
        return zeroing ? Math.max(1, Math.min(slots, MAX_ZERO_BYTES / blockBytes)) : slots;
    }

    /** Links the next run of never-linked slots as the allocation list (which is empty); false if none is left. */
    private boolean extend(boolean zero) {
        int start = extent;
        if (start >= capacity) {
            return false;
        }
        boolean dirty = zero && start < fresh; // some of the run held blocks since its memory was zero
        int end = Math.min(capacity, start + slotsPerRefill(dirty));
        for (int slot = start; slot < end - 1; slot++) {
            spLink(slot, slot + 1); // address order
        }
        spLink(end - 1, END);
        if (dirty) {
            zeroSlots(start, Math.min(end, fresh) - 1);
        }
        fresh = Math.max(fresh, end);
        freeHead = start;
        extent = end;
        return true;
    }

    /**
     * Makes the owner-free list the allocation list (with {@code zero}: its first
     * {@link #slotsPerRefill} slots, zeroed, so one refill zeroes at most {@link #MAX_ZERO_BYTES});
     * false if both are empty. Owner only.
     */
    private boolean swapLocal(boolean zero) {
        int head = localHead;
        if (head == END) {
            return false;
        }
        if (!zero) {
            freeHead = head; // O(1): walking the list cost ≈ 2 ns per allocation at 64 B
            localHead = END;
            return true;
        }
        int limit = slotsPerRefill(true);
        int last = head;
        int taken = 1;
        int low = head; // the run of neighbouring slots taken so far, zeroed in one call
        int high = head;
        while (true) {
            int next = lpLink(last);
            if (next == END || taken == limit) {
                zeroSlots(low, high);
                localHead = next;
                break;
            }
            // Frees of neighbours in either order make one run.
            if (next == high + 1) {
                high = next;
            } else if (next == low - 1) {
                low = next;
            } else {
                zeroSlots(low, high);
                low = next;
                high = next;
            }
            last = next;
            taken++;
        }
        spLink(last, END);
        freeHead = head;
        return true;
    }

    /** Zeroes the blocks of slots {@code [low, high]}. Through the span's scoped segment: a closed region throws, never crashes. */
    private void zeroSlots(int low, int high) {
        Zeroing.zero(memory, blockOffset(low), (long) (high - low + 1) * blockBytes);
    }

    boolean hasFree() {
        return freeHead != END || localHead != END || extent < capacity;
    }

    ThreadCache lvOwner() {
        return (ThreadCache) OWNER.getAcquire(this);
    }

    void soOwner(ThreadCache cache) {
        OWNER.setRelease(this, cache); // publishes the carved layout to remote freers
    }

    @Override
    public String toString() {
        return "Page[id=" + id + ", blockBytes=" + blockBytes + ", capacity=" + capacity + "]";
    }
}
