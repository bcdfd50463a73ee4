package dev.offheap.allocator.slab;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The out-of-band metadata of one slab page: everything the allocator knows about the page's
 * blocks lives here, in Java arrays, never in the page's own bytes.
 *
 * <h2>Who writes what</h2>
 * <ul>
 *   <li>Layout fields ({@code segment} … {@code capacity}) and array references: written under the
 *       allocator's lock when the page is carved or retired, by its owner's thread. A thread that
 *       got a handle from the owner got it after those writes (handing a handle over is the
 *       happens-before edge the user provides, as with any object).</li>
 *   <li>{@code state[slot]}: {@code generation << 1 | live}. The owner writes it with release
 *       stores; a remote free moves it from live to free with a CAS, so of two frees racing on
 *       one block at most one wins that way; every reader loads it with acquire.</li>
 *   <li>The free-slot stack, {@code freeMap}, {@code live}, {@code freshFrom} and the list links:
 *       the owner cache's thread only, plain.</li>
 *   <li>{@code remoteHead} and {@code remoteNext}: a Treiber stack of slots freed by other threads
 *       (many producers, CAS), which the owner takes whole with one {@code getAndSet} (so there
 *       is no ABA).</li>
 *   <li>{@code queued}: 1 while the page sits in its owner's queue of pages with remote frees;
 *       set by a remote freer with CAS, cleared by the owner with a volatile store.</li>
 * </ul>
 */
final class Page {
    static final VarHandle STATE = MethodHandles.arrayElementVarHandle(int[].class);
    static final VarHandle REMOTE_HEAD;
    static final VarHandle QUEUED;
    static final VarHandle OWNER;
    /** The empty remote-free stack. */
    static final int EMPTY = -1;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            REMOTE_HEAD = lookup.findVarHandle(Page.class, "remoteHead", int.class);
            QUEUED = lookup.findVarHandle(Page.class, "queued", int.class);
            OWNER = lookup.findVarHandle(Page.class, "owner", ThreadCache.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int id;

    // --- layout, written under the allocator's lock at carve/retire
    Segment segment;
    int firstUnit;
    int units;
    /** Byte offset of slot 0 in the segment's memory. */
    long offset;
    MemorySegment memory;
    int sizeClass;
    int blockBytes;
    int capacity;
    boolean active;
    /** The generation every slot starts at in the next incarnation: above every one issued so far. */
    int nextBase = 1;

    // --- per slot
    int[] state;
    /** Slot indices fit in a short: at most 4096 slots a page (see SegmentDescriptor#SLOT_BITS). */
    short[] freeStack;
    long[] freeMap;
    /** Next slot in the remote-free chain; {@link #EMPTY} (-1 as a short) ends it. */
    short[] remoteNext;
    /** Checked mode: bytes asked for. */
    int[] requested;
    /** Checked mode: each live block's own scope, closed on free. */
    Arena[] scopes;
    /** Checked mode: each live block's segment, bound to its scope. */
    MemorySegment[] scoped;
    /** Site tracking: where each live block (or, once freed, its last owner) was allocated. */
    Throwable[] sites;

    // --- owner thread only
    int freeTop;
    int live;
    /** Slots at or above this index have not held a block since their memory was known zero. */
    int freshFrom;
    Page availPrev;
    Page availNext;
    boolean inAvail;
    int ownedIndex = -1;

    // --- shared, through the VarHandles above
    volatile ThreadCache owner;
    volatile int remoteHead = EMPTY;
    volatile int queued;
    /** Link in the owner's queue: written by the pusher before its CAS publishes the page. */
    Page nextRemotePage;

    Page(int id) {
        this.id = id;
    }

    /** {@return the byte offset of a slot's block in {@link #memory}} */
    long blockOffset(int slot) {
        return offset + (long) slot * blockBytes;
    }

    /** Pushes a slot on the free stack; false if it is there already (two racing frees). Owner only. */
    boolean pushFree(int slot) {
        long bit = 1L << slot;
        if ((freeMap[slot >>> 6] & bit) != 0) {
            return false;
        }
        freeMap[slot >>> 6] |= bit;
        freeStack[freeTop++] = (short) slot;
        return true;
    }

    /** Pops a slot off the free stack; the caller checked {@code freeTop > 0}. Owner only. */
    int popFree() {
        int slot = freeStack[--freeTop];
        freeMap[slot >>> 6] &= ~(1L << slot);
        return slot;
    }

    /** Pushes a remotely freed slot; any thread. */
    void pushRemote(int slot) {
        int head;
        do {
            head = (int) REMOTE_HEAD.getVolatile(this);
            remoteNext[slot] = (short) head; // plain: published by the CAS below (volatile write)
        } while (!REMOTE_HEAD.compareAndSet(this, head, slot));
    }

    /** Takes every remotely freed slot at once: the head of a chain through {@link #remoteNext}. */
    int takeRemote() {
        // getAndSet has volatile semantics: acquires every remoteNext write the pushers published
        return (int) REMOTE_HEAD.getAndSet(this, EMPTY);
    }

    @Override
    public String toString() {
        return "Page[id=" + id + ", blockBytes=" + blockBytes + ", capacity=" + capacity + ", active=" + active + "]";
    }
}
