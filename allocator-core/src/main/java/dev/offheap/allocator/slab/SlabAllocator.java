package dev.offheap.allocator.slab;

import dev.offheap.allocator.jfr.OffHeapEvents;
import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.HeapCorruptionException;
import dev.offheap.allocator.LeakListener;
import dev.offheap.allocator.LeakReport;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.internal.BlockChecks;
import dev.offheap.allocator.internal.Counting;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.MeteredAllocator;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A slab allocator: blocks of {@linkplain SizeClasses 40 fixed size classes} from 16 B to 32 KiB,
 * carved from pages of {@linkplain SegmentDescriptor 2 MiB segments} that a {@link Region} lends,
 * and named by zero-garbage {@code long} handles ({@link Handles}, kind {@link Handles#KIND_SLAB}).
 *
 * <p>Thread-safety: thread-safe, and built so that the common path shares nothing. Each thread gets
 * a cache of its own (found through a {@link ThreadLocal}, which does not allocate once set) that
 * <em>owns</em> pages: it allocates from them and frees into them with plain loads and stores
 * (release stores where another thread may read), no lock and no CAS. A block freed by a thread
 * other than its page's owner goes back through a lock-free multi-producer stack on the page (one
 * CAS) and the owner takes those blocks back when it next runs short (mimalloc's delayed frees).
 * Carving a new page, giving an empty one back and reading a {@link #snapshot()} take one lock; a
 * page serves hundreds to thousands of allocations between two of those. The cache of a thread that
 * has died is adopted, pages and all, by the next thread that carves a page, so its memory is
 * reused or given back, not leaked. {@link #close()} must not race with other calls.
 *
 * <h2>Safety, always on, O(1)</h2>
 * Every block has a generation, kept out of band with a live bit ({@code Page.state}); a handle
 * carries the generation it was issued with, and freeing advances it. So:
 * <ul>
 *   <li>freeing a handle twice, or freeing a stale handle, throws {@link DoubleFreeException};</li>
 *   <li>{@link #segment(long)} or {@link #byteSize(long)} through a stale handle throws
 *       {@link UseAfterFreeException};</li>
 *   <li>a handle this allocator never issued (another kind, a location outside its pages, a slot
 *       not allocated with that generation) throws {@link ForeignPointerException}. A handle holds
 *       no allocator identity, so one from another slab allocator is caught this way unless it
 *       happens to name a live block here with the same page, slot and generation.</li>
 * </ul>
 * The allocator is unchanged after any of them. Two frees of one block on two threads with no
 * ordering between them (a data race in the caller) are caught whenever one happens-before the
 * other; if the owner's free (a plain store, to keep the common path CAS-free) and another
 * thread's (a CAS) overlap exactly, both may pass the check, and the second is then found, counted
 * in {@code doubleFrees} and kept off the free stack when the owner takes the block back, instead
 * of thrown. A generation is 20 bits wide and a page keeps its
 * generations rising across its lives, so a stale handle is recognised as such until its slot has
 * been reused about a million times; past that it is still refused, as foreign. Every segment
 * handed out is a slice of its segment's span, so once the region decommits that span's memory
 * (after the span went back to it, every page in it empty, and the region's decay or trim) a segment
 * kept from it throws {@link IllegalStateException}; until then it aliases whatever is lent there
 * next. No segment ever reaches memory that is not committed.
 *
 * <h2>Checked mode ({@link Builder#checked(boolean)}, off by default)</h2>
 * Freed blocks are filled with {@value #POISON_BYTE_HEX} and checked when handed out again (a write
 * after free throws {@link HeapCorruptionException}); every block gets at least
 * {@value #CANARY_BYTES} canary bytes after the bytes asked for, checked on free (an overrun throws
 * {@link HeapCorruptionException}, after the block is freed); each block's segment is bound to an
 * {@link Arena#ofShared() arena} of its own that closes on free, so a segment kept after free throws
 * {@link IllegalStateException} from the JVM. Allocation sites are tracked. It costs a shared arena
 * per block: a debugging mode.
 *
 * <h2>Footprint</h2>
 * Out of band, on the Java heap, per slot of a carved page: 4 bytes of state (the generation),
 * 2 of free stack, 2 of remote-free link and 1 bit of bitmap, so {@code 8.125 * pageBytes /
 * blockBytes} bytes a page: 50 % of the memory for 16-byte blocks, 12.7 % for 64-byte ones, under
 * 1 % from 1 KiB up. Checked mode and site tracking add about 16 bytes per slot. A generation per
 * block is the price of catching every stale handle. Committed off-heap memory is whole segments
 * ({@value SegmentDescriptor#SEGMENT_BYTES} bytes) that hold at least one page.
 */
public final class SlabAllocator implements HandleAllocator, MeteredAllocator {
    /** Bytes of canary after each block in checked mode, at least. */
    public static final int CANARY_BYTES = BlockChecks.CANARY_BYTES;
    /** The largest request in checked mode: the largest block less the canary. */
    public static final int MAX_CHECKED_REQUEST = SizeClasses.MAX_BLOCK_BYTES - CANARY_BYTES;
    static final String POISON_BYTE_HEX = "0xDE";
    private static final long ADOPTEE_GRACE_NANOS = 1_000_000_000L;
    private static final int SWEEP_PAGES = 64;
    /** Global scope, every address: only for zeroing blocks this allocator owns (see zero). */
    private static final MemorySegment EVERY_ADDRESS = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private final String name;
    /** This allocator's identity in its handles (see {@link Handles}). */
    private final int tag = Handles.nextTag();
    private final Region region;
    private final boolean ownsRegion;
    private final boolean zeroing;
    private final boolean checked;
    private final boolean trackSites;
    private final LeakListener leakListener;
    private final int maxRequest;
    private final ThreadLocal<ThreadCache> caches = ThreadLocal.withInitial(this::register);
    private final Object lock = new Object();

    /** Published with a volatile store when it grows; entries never change once set. */
    private volatile Page[] pages = new Page[0];
    /** Guarded by {@link #lock}. */
    private Segment[] segments = new Segment[0];
    /** Live caches. Guarded by {@link #lock}. */
    private final List<ThreadCache> registry = new ArrayList<>();
    /** Counters of adopted caches, folded in. Guarded by {@link #lock}. */
    private final long[] retiredCounters = new long[ThreadCache.COUNTER_SLOTS];
    /** Blocks the committed pages of each class can hold. Guarded by {@link #lock}. */
    private final long[] capacityByClass = new long[SizeClasses.COUNT];
    /** Guarded by {@link #lock}. */
    private int segmentCount;
    private volatile boolean closed;

    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong doubleFrees = new AtomicLong();
    private final AtomicLong useAfterFrees = new AtomicLong();
    private final AtomicLong corruptions = new AtomicLong();
    private final AtomicLong leaks = new AtomicLong();

    private SlabAllocator(Builder b) {
        this.name = b.name;
        this.ownsRegion = b.region == null;
        this.region = ownsRegion ? Region.builder().name(b.name).reserve(b.reserveBytes).build() : b.region;
        this.zeroing = b.zeroing;
        this.checked = b.checked;
        this.trackSites = b.trackSites || b.checked;
        this.leakListener = b.leakListener;
        this.maxRequest = checked ? MAX_CHECKED_REQUEST : SizeClasses.MAX_BLOCK_BYTES;
    }

    /** {@return a builder: own region, zeroing on, checked mode off, site tracking off} */
    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------ allocation

    /**
     * Allocates a block of the smallest class that holds {@code byteSize} bytes, zeroed unless
     * zeroing is off. Takes no lock and no CAS unless this thread's page of the class is used up.
     *
     * @param byteSize the bytes wanted, in {@code [1, 32768]} ({@code [1, 32760]} in checked mode)
     * @return the block's handle
     * @throws IllegalArgumentException if {@code byteSize} is outside those bounds
     * @throws OutOfOffHeapMemoryException if the region cannot lend another segment
     * @throws HeapCorruptionException in checked mode, if the block was written after it was freed
     *         (the block is re-poisoned and stays free; the next allocation goes on)
     * @throws IllegalStateException if the allocator is closed
     */
    /** {@return the largest request this allocator serves: 32 KiB, less the canary in checked mode} */
    public long maxRequestBytes() {
        return maxRequest;
    }

    @Override
    public long allocate(long byteSize) {
        if (byteSize < 1 || byteSize > maxRequest) {
            throw new IllegalArgumentException("slab block size must be in [1, " + maxRequest + "]: byteSize="
                    + byteSize + ", allocator=" + name);
        }
        ensureOpen();
        int sizeClass = SizeClasses.classOf(checked ? byteSize + CANARY_BYTES : byteSize);
        ThreadCache cache = caches.get();
        Page page = cache.current[sizeClass];
        if (page == null || page.freeTop == 0) {
            page = refill(cache, sizeClass);
        }
        int slot = page.popFree();
        int generation = page.state[slot] >>> 1; // plain: the slot is free, only the owner writes it now
        long offset = page.blockOffset(slot);
        if (checked) {
            prepareChecked(page, slot, offset, (int) byteSize);
        } else if (slot >= page.freshFrom) {
            page.freshFrom = slot + 1; // never used since its memory was committed zero
        } else if (zeroing) {
            zero(page.memory, offset, page.blockBytes);
        }
        if (trackSites) {
            page.sites[slot] = new Throwable("allocation site of a " + byteSize + "-byte block, allocator=" + name);
        }
        page.live++;
        // release: publishes the zeroed block and its metadata to a thread that reads the state
        Page.STATE.setRelease(page.state, slot, (generation << 1) | 1);
        if (Counting.ENABLED) {
            long[] counters = cache.counters;
            counters[ThreadCache.ALLOCATIONS]++;
            counters[ThreadCache.CLASS_ALLOCATIONS + sizeClass]++;
        }
        return Handles.pack(Handles.KIND_SLAB, tag, generation, SegmentDescriptor.location(page.id, slot));
    }

    /**
     * Frees a block. From the thread that owns the block's page: no lock, no CAS. From any other
     * thread: one CAS on the block's state and one on the page's remote-free stack.
     *
     * @param handle a live handle of this allocator
     * @throws DoubleFreeException if the block was freed already (or the handle is stale)
     * @throws ForeignPointerException if this allocator never issued the handle
     * @throws HeapCorruptionException in checked mode, if the canary after the block was overwritten;
     *         the block is freed all the same
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public void free(long handle) {
        ensureOpen();
        Page page = pageOf(handle);
        if (!names(page, handle)) {
            throw misuse(handle, page, true);
        }
        int slot = SegmentDescriptor.slot(Handles.location(handle));
        int liveState = (Handles.generation(handle) << 1) | 1;
        int[] state = page.state;
        HeapCorruptionException overrun = checked ? checkCanary(page, slot, handle) : null;
        int freeState = Handles.nextGeneration(Handles.generation(handle)) << 1;
        ThreadCache owner = page.owner;
        // Only the owner's thread ever stores its cache into page.owner, so seeing our own thread
        // there is exact; it also saves the thread-local lookup on the common path.
        boolean local = owner != null && owner.thread == Thread.currentThread();
        ThreadCache cache = local ? owner : caches.get();
        long[] counters = cache.counters;
        if (local) {
            // release: publishes "freed" to threads that validate handles of this block
            Page.STATE.setRelease(state, slot, freeState);
            afterFree(page, slot);
            localFree(cache, page, slot);
        } else {
            if (!Page.STATE.compareAndSet(state, slot, liveState, freeState)) {
                throw misuse(handle, page, true); // another thread freed it first
            }
            afterFree(page, slot);
            remoteFree(page, slot);
            counters[ThreadCache.REMOTE_FREES]++;
        }
        if (Counting.ENABLED) {
            counters[ThreadCache.FREES]++;
            counters[ThreadCache.CLASS_FREES + page.sizeClass]++;
        }
        if (overrun != null) {
            throw overrun;
        }
    }

    /**
     * {@return a segment bounded to the block: a slice of its span (checked mode: of its own arena)}
     *
     * @param handle a live handle
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never issued the handle
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public MemorySegment segment(long handle) {
        Page page = liveBlock(handle);
        int slot = SegmentDescriptor.slot(Handles.location(handle));
        if (checked) {
            return page.scoped[slot];
        }
        return page.memory.asSlice(page.blockOffset(slot), page.blockBytes);
    }

    /**
     * {@return the address of the block's first byte} For the raw path: code that reads and writes
     * through a segment of its own and wants no object per access. The address is valid until the
     * block is freed; nothing checks accesses through it (checked mode cannot protect it).
     *
     * @param handle a live handle
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never issued the handle
     * @throws IllegalStateException if the allocator is closed
     */
    public long address(long handle) {
        Page page = liveBlock(handle);
        return page.memory.address() + page.blockOffset(SegmentDescriptor.slot(Handles.location(handle)));
    }

    /**
     * {@return the usable bytes: the class's block size (checked mode: the bytes asked for)}
     *
     * @param handle a live handle
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never issued the handle
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public long byteSize(long handle) {
        Page page = liveBlock(handle);
        return checked ? page.requested[SegmentDescriptor.slot(Handles.location(handle))] : page.blockBytes;
    }

    /** {@return whether {@code handle} is a live block of this allocator; never throws} */
    @Override
    public boolean isLive(long handle) {
        Page page = closed ? null : lookup(handle);
        return page != null && names(page, handle);
    }

    @Override
    public String name() {
        return name;
    }

    /** {@return whether checked mode is on} */
    public boolean checked() {
        return checked;
    }

    /** {@return the region the segments come from} */
    public Region region() {
        return region;
    }

    // ------------------------------------------------------------------ handle validation

    private Page liveBlock(long handle) {
        ensureOpen();
        Page page = pageOf(handle);
        if (!names(page, handle)) {
            throw misuse(handle, page, false);
        }
        return page;
    }

    /** {@return whether the handle's slot in {@code page} is live with the handle's generation} */
    private static boolean names(Page page, long handle) {
        int slot = SegmentDescriptor.slot(Handles.location(handle));
        int[] state = page.state;
        return slot < state.length
                && (int) Page.STATE.getAcquire(state, slot) == ((Handles.generation(handle) << 1) | 1);
    }

    /** {@return the page a slab handle's location names, or null if it is no slab handle or no page} */
    private Page lookup(long handle) {
        if (!Handles.hasShape(handle, Handles.KIND_SLAB, tag)) {
            return null;
        }
        long pageId = SegmentDescriptor.pageId(Handles.location(handle));
        Page[] table = pages;
        Page page = pageId < table.length ? table[(int) pageId] : null;
        return page == null || page.state == null ? null : page;
    }

    /** {@return the page a handle names} or throws ForeignPointerException. */
    private Page pageOf(long handle) {
        Page page = lookup(handle);
        if (page == null) {
            throw foreign(handle, !Handles.hasShape(handle, Handles.KIND_SLAB, tag)
                    ? "not a slab handle" : "location outside this allocator's pages");
        }
        return page;
    }

    /** Classifies a handle that failed the live check: stale (freed) or never issued. */
    private RuntimeException misuse(long handle, Page page, boolean freeing) {
        int slot = SegmentDescriptor.slot(Handles.location(handle));
        int[] state = page.state;
        if (slot >= state.length) {
            return foreign(handle, "slot outside its page");
        }
        int generation = Handles.generation(handle);
        int current = (int) Page.STATE.getAcquire(state, slot) >>> 1;
        if (generation == 0 || generation >= current) {
            return foreign(handle, "slot never allocated with this generation");
        }
        Throwable site = page.sites != null ? page.sites[slot] : null;
        if (freeing) {
            doubleFrees.incrementAndGet();
            OffHeapEvents.emitDoubleFree(name, handle, page.blockBytes);
            return new DoubleFreeException("double free: block already freed: handle=" + Handles.toString(handle)
                    + ", allocator=" + name + ", currentGeneration=" + current, site);
        }
        useAfterFrees.incrementAndGet();
        OffHeapEvents.emitUseAfterFree(name, handle, page.blockBytes);
        return new UseAfterFreeException("use after free: block was freed: handle=" + Handles.toString(handle)
                + ", allocator=" + name + ", currentGeneration=" + current, site);
    }

    private ForeignPointerException foreign(long handle, String why) {
        return new ForeignPointerException("foreign handle, " + why + ": handle=" + Handles.toString(handle)
                + ", allocator=" + name);
    }

    // ------------------------------------------------------------------ free paths

    /** Owner's free: the slot goes back on the page's stack. */
    private void localFree(ThreadCache cache, Page page, int slot) {
        if (!page.pushFree(slot)) {
            doubleFrees.incrementAndGet(); // lost a race with a remote free of the same block
            return;
        }
        page.live--;
        settle(cache, page);
    }

    /** Another thread's free: make sure the owner will look, then hand the slot over. */
    private void remoteFree(Page page, int slot) {
        // Queue the page first, then push the slot: the owner cannot retire a page that still counts
        // this block as live, so the page is still this owner's when it reaches the queue.
        if ((int) Page.QUEUED.getVolatile(page) == 0 && Page.QUEUED.compareAndSet(page, 0, 1)) {
            ((ThreadCache) Page.OWNER.getAcquire(page)).enqueueRemote(page);
        }
        page.pushRemote(slot);
    }

    /** After a page gained free slots: list it, or give it back if it is empty. Owner only. */
    private void settle(ThreadCache cache, Page page) {
        if (page == cache.current[page.sizeClass]) {
            return;
        }
        if (page.live == 0 && (int) Page.QUEUED.getVolatile(page) == 0) {
            retire(cache, page);
        } else if (!page.inAvail && page.freeTop > 0) {
            cache.addAvail(page);
        }
    }

    /** Takes back every block other threads freed into pages this cache (or its adoptees) owns. */
    private void drainRemote(ThreadCache cache) {
        drainQueue(cache, cache);
        for (int i = 0; i < cache.adoptees.size(); i++) {
            drainQueue(cache, cache.adoptees.get(i));
        }
    }

    private void drainQueue(ThreadCache cache, ThreadCache queueOwner) {
        Page page = queueOwner.takeRemotePages();
        while (page != null) {
            Page next = page.nextRemotePage;
            page.nextRemotePage = null;
            Page.QUEUED.setVolatile(page, 0); // before taking the slots: a later free queues it again
            if (page.owner == cache) {
                drainPage(cache, page);
            }
            page = next;
        }
    }

    private void drainPage(ThreadCache cache, Page page) {
        int slot = page.takeRemote();
        // A chain is at most capacity long; the bound keeps a chain damaged by racing double frees
        // (see free) from looping.
        for (int steps = 0; slot != Page.EMPTY && steps < page.capacity; steps++) {
            int next = page.remoteNext[slot];
            // A slot still live, or already on the stack, came here twice through two frees that
            // raced (one local plain store, one remote CAS): count it and keep it off the stack.
            if (((int) Page.STATE.getAcquire(page.state, slot) & 1) == 0 && page.pushFree(slot)) {
                page.live--;
            } else {
                doubleFrees.incrementAndGet();
            }
            slot = next;
        }
        settle(cache, page);
    }

    // ------------------------------------------------------------------ pages

    /** The current page of the class is used up: find another with free slots, or carve one. */
    private Page refill(ThreadCache cache, int sizeClass) {
        drainRemote(cache);
        Page current = cache.current[sizeClass];
        if (current != null) {
            drainPage(cache, current);
            if (current.freeTop > 0) {
                return current;
            }
        }
        Page next = cache.availHead[sizeClass];
        if (next == null) {
            sweepStranded(cache);
            next = cache.availHead[sizeClass];
        }
        if (next == null) {
            next = carve(cache, sizeClass);
        }
        if (next.inAvail) {
            cache.removeAvail(next);
        }
        cache.current[sizeClass] = next;
        return next;
    }

    /**
     * Looks at up to {@value #SWEEP_PAGES} owned pages, from a rotating cursor, for remote frees
     * that no queue entry announces. A remote freer queues the page before it pushes its block, so
     * the owner may drain the queue entry in between and the block waits on the page (stranded)
     * until the next remote free there; this sweep, run before a page is carved, bounds that wait.
     * Owner only.
     */
    private void sweepStranded(ThreadCache cache) {
        for (int n = 0; n < SWEEP_PAGES && cache.ownedCount > 0; n++) {
            int i = cache.sweepCursor % cache.ownedCount;
            cache.sweepCursor = i + 1;
            Page page = cache.owned[i];
            if ((int) Page.REMOTE_HEAD.getVolatile(page) != Page.EMPTY) {
                drainPage(cache, page); // may retire the page, which moves another into slot i
            }
        }
    }

    private Page carve(ThreadCache cache, int sizeClass) {
        synchronized (lock) {
            ensureOpen();
            adoptDeadCaches(cache);
            pruneAdoptees(cache);
            if (cache.availHead[sizeClass] != null) {
                return cache.availHead[sizeClass];
            }
            int units = SegmentDescriptor.unitsPerPage(sizeClass);
            Segment segment = null;
            int first = -1;
            for (Segment s : segments) {
                if (s != null && (first = s.findFreeRun(units)) >= 0) {
                    segment = s;
                    break;
                }
            }
            if (segment == null) {
                segment = newSegment(sizeClass);
                first = 0;
            }
            int runMask = (int) ((1L << units) - 1) << first;
            segment.usedUnits |= runMask;
            segment.purgedUnits &= ~runMask; // about to be touched again
            boolean zeroed = (segment.touchedUnits & runMask) == 0;
            segment.touchedUnits |= runMask;
            int pageId = segment.index * SegmentDescriptor.UNITS_PER_SEGMENT + first;
            Page page = pages[pageId]; // made with its segment slot, see newSegment
            initPage(page, segment, first, units, sizeClass, zeroed);
            capacityByClass[sizeClass] += page.capacity;
            Page.OWNER.setRelease(page, cache); // publishes the carved layout to remote freers
            cache.addOwned(page);
            return page;
        }
    }

    private Segment newSegment(int sizeClass) {
        Span span;
        try {
            span = region.acquire(SegmentDescriptor.SEGMENT_BYTES);
        } catch (OutOfOffHeapMemoryException e) {
            failures.incrementAndGet();
            throw e;
        }
        int index = 0;
        while (index < segments.length && segments[index] != null) {
            index++;
        }
        if ((long) (index + 1) * SegmentDescriptor.UNITS_PER_SEGMENT > SegmentDescriptor.MAX_PAGE_IDS) {
            region.release(span);
            failures.incrementAndGet();
            throw new OutOfOffHeapMemoryException("page ids exhausted", name, SizeClasses.blockBytes(sizeClass),
                    (long) SegmentDescriptor.MAX_PAGE_IDS * SegmentDescriptor.UNIT_BYTES,
                    (long) segmentCount * SegmentDescriptor.SEGMENT_BYTES, 0);
        }
        Page[] table = pages;
        if (index == segments.length) {
            segments = Arrays.copyOf(segments, Math.max(4, segments.length * 2));
            table = Arrays.copyOf(table, segments.length * SegmentDescriptor.UNITS_PER_SEGMENT);
        }
        int firstId = index * SegmentDescriptor.UNITS_PER_SEGMENT;
        for (int id = firstId; id < firstId + SegmentDescriptor.UNITS_PER_SEGMENT; id++) {
            if (table[id] == null) {
                table[id] = new Page(id); // kept for good: a page's generations outlive its segment
            }
        }
        // volatile store: publishes the table and its new pages. A handle of a page is made after
        // this, so whoever is handed the handle sees the page; a forged one may see null: foreign.
        pages = table;
        Segment segment = new Segment(index, span);
        segments[index] = segment;
        segmentCount++;
        return segment;
    }

    private void initPage(Page page, Segment segment, int first, int units, int sizeClass, boolean zeroed) {
        int blockBytes = SizeClasses.blockBytes(sizeClass);
        int capacity = units * SegmentDescriptor.UNIT_BYTES / blockBytes;
        page.segment = segment;
        page.firstUnit = first;
        page.units = units;
        page.offset = (long) first * SegmentDescriptor.UNIT_BYTES;
        page.memory = segment.memory;
        page.sizeClass = sizeClass;
        page.blockBytes = blockBytes;
        page.capacity = capacity;
        if (page.state == null || page.state.length != capacity) {
            page.state = new int[capacity];
            page.freeStack = new short[capacity];
            page.freeMap = new long[(capacity + 63) >>> 6];
            page.remoteNext = new short[capacity];
        }
        if (checked) {
            page.requested = new int[capacity];
            page.scopes = new Arena[capacity];
            page.scoped = new MemorySegment[capacity];
        }
        if (trackSites) {
            page.sites = new Throwable[capacity];
        }
        Arrays.fill(page.state, page.nextBase << 1);
        page.freeTop = 0;
        Arrays.fill(page.freeMap, 0L);
        for (int slot = capacity - 1; slot >= 0; slot--) {
            page.pushFree(slot); // slot 0 on top: blocks are handed out in address order
        }
        page.live = 0;
        page.freshFrom = zeroed || checked ? 0 : capacity;
        if (checked) {
            BlockChecks.poison(page.memory, page.offset, (long) capacity * blockBytes);
        }
        page.remoteHead = Page.EMPTY;
        page.queued = 0;
        page.active = true;
    }

    /** Gives an empty page's units back to its segment, and the segment to the region if all are empty. */
    private void retire(ThreadCache cache, Page page) {
        if (page.inAvail) {
            cache.removeAvail(page);
        }
        if (cache.current[page.sizeClass] == page) {
            cache.current[page.sizeClass] = null;
        }
        cache.removeOwned(page);
        synchronized (lock) {
            retireLocked(page);
        }
    }

    private void retireLocked(Page page) {
        int base = page.nextBase;
        for (int s : page.state) {
            base = Math.max(base, s >>> 1);
        }
        page.nextBase = base;
        Arrays.fill(page.state, base << 1); // release not needed: no live block to publish
        page.owner = null;
        page.active = false;
        page.sites = null;
        page.scopes = null;
        page.scoped = null;
        capacityByClass[page.sizeClass] -= page.capacity;
        Segment segment = page.segment;
        segment.usedUnits &= ~((int) ((1L << page.units) - 1) << page.firstUnit);
        region.requestPurge(); // the page's units are empty: purged after a decay delay if a pass is set
        if (segment.usedUnits == 0 && !closed) {
            try {
                region.release(segment.span);
            } catch (IllegalStateException inUseByNativeCall) {
                return; // keep the empty segment; it is reused or released at close
            }
            segments[segment.index] = null;
            segmentCount--;
        }
    }

    /**
     * Gives the memory of every empty page (a unit of a held segment that no page holds, not purged
     * since it last did) back to the OS, keeping it mapped: see
     * {@link Region#purge}. The units read zero afterwards, so they are marked untouched and not
     * zeroed again when carved. A syscall per run of such units, under the allocator's lock: call
     * it off the hot path (the façade's {@code trim()} does). Segments wholly empty went back to
     * the region already; the region's own trim or decay decommits those.
     *
     * <p>Thread-safety: thread-safe; takes the allocator's lock (pages are carved under it too).
     *
     * @return the bytes purged
     * @throws IllegalStateException if the allocator is closed
     * @throws dev.offheap.allocator.NativeCallException if the kernel refuses; units not yet
     *         purged stay as they were and are counted as touched
     */
    public long purgeEmptyPages() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("allocator is closed: name=" + name);
            }
            long purged = 0;
            for (Segment segment : segments) {
                if (segment == null) {
                    continue;
                }
                // The region pre-faults spans: an empty unit is resident whether it held blocks or not.
                int candidates = ~segment.usedUnits & ~segment.purgedUnits;
                int u = 0;
                while (u < SegmentDescriptor.UNITS_PER_SEGMENT) {
                    if ((candidates & (1 << u)) == 0) {
                        u++;
                        continue;
                    }
                    int end = u;
                    while (end < SegmentDescriptor.UNITS_PER_SEGMENT && (candidates & (1 << end)) != 0) {
                        end++;
                    }
                    long bytes = (long) (end - u) * SegmentDescriptor.UNIT_BYTES;
                    region.purge(segment.span, (long) u * SegmentDescriptor.UNIT_BYTES, bytes);
                    int runMask = (int) ((1L << (end - u)) - 1) << u;
                    segment.touchedUnits &= ~runMask; // known zero again: madvise(DONTNEED) gave zero pages
                    segment.purgedUnits |= runMask;
                    purged += bytes;
                    u = end;
                }
            }
            return purged;
        }
    }

    /** Adopts the caches of dead threads: their pages become {@code cache}'s. Under the lock. */
    private void adoptDeadCaches(ThreadCache cache) {
        for (int i = registry.size() - 1; i >= 0; i--) {
            ThreadCache dead = registry.get(i);
            if (dead == cache || dead.thread.isAlive()) {
                continue; // isAlive() false: the dead thread's writes happen-before what follows
            }
            registry.remove(i);
            dead.adoptedAtNanos = System.nanoTime();
            for (int c = 0; c < ThreadCache.COUNTER_SLOTS; c++) {
                retiredCounters[c] += dead.counters[c];
            }
            cache.adoptees.add(dead);
            cache.adoptees.addAll(dead.adoptees);
            dead.adoptees.clear();
            List<Page> taken = new ArrayList<>(dead.ownedCount);
            for (int p = 0; p < dead.ownedCount; p++) {
                Page page = dead.owned[p];
                page.inAvail = false;
                page.availPrev = null;
                page.availNext = null;
                Page.OWNER.setRelease(page, cache); // remote freers queue to the adopter from now on
                cache.addOwned(page);
                taken.add(page);
            }
            dead.owned = new Page[0];
            dead.ownedCount = 0;
            Arrays.fill(dead.current, null);
            Arrays.fill(dead.availHead, null);
            drainQueue(cache, dead);
            for (Page page : taken) {
                if (page.owner == cache) { // not retired by the drain above
                    drainPage(cache, page);
                }
            }
        }
    }

    /**
     * Forgets adopted caches whose queue is empty a while after adoption. A remote freer that read
     * the old owner just before the adoption may still be queueing a page there; a second is far
     * longer than that window. Under the lock.
     */
    private void pruneAdoptees(ThreadCache cache) {
        if (cache.adoptees.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        cache.adoptees.removeIf(dead -> dead.remotePages == null && now - dead.adoptedAtNanos > ADOPTEE_GRACE_NANOS);
    }

    private ThreadCache register() {
        ThreadCache cache = new ThreadCache(Thread.currentThread());
        synchronized (lock) {
            registry.add(cache);
        }
        return cache;
    }

    // ------------------------------------------------------------------ checked mode

    private void prepareChecked(Page page, int slot, long offset, int byteSize) {
        MemorySegment memory = page.memory;
        int blockBytes = page.blockBytes;
        long changed = BlockChecks.firstNotPoisoned(memory, offset, blockBytes);
        if (changed >= 0) {
            Throwable site = page.sites[slot];
            BlockChecks.poison(memory, offset, blockBytes); // re-poison: the slot stays free and usable
            page.pushFree(slot);
            corruptions.incrementAndGet();
            throw new HeapCorruptionException("write after free: freed block changed at byte " + changed
                    + " (poison " + POISON_BYTE_HEX + " expected): address=0x"
                    + Long.toHexString(memory.address() + offset) + ", blockBytes=" + blockBytes
                    + ", allocator=" + name + (site == null ? "" : ", last allocation site attached"), site);
        }
        memory.asSlice(offset, byteSize).fill((byte) 0);
        BlockChecks.writeCanary(memory, offset + byteSize, blockBytes - byteSize);
        Arena scope = Arena.ofShared();
        page.requested[slot] = byteSize;
        page.scopes[slot] = scope;
        page.scoped[slot] = MemorySegment.ofAddress(memory.address() + offset).reinterpret(byteSize, scope, null);
    }

    private HeapCorruptionException checkCanary(Page page, int slot, long handle) {
        MemorySegment memory = page.memory;
        long offset = page.blockOffset(slot);
        int requested = page.requested[slot];
        long changed = BlockChecks.firstCanaryChanged(memory, offset + requested, page.blockBytes - requested);
        if (changed < 0) {
            return null;
        }
        corruptions.incrementAndGet();
        return new HeapCorruptionException("buffer overrun: canary after the block overwritten at byte "
                + (requested + changed) + ": handle=" + Handles.toString(handle) + ", address=0x"
                + Long.toHexString(memory.address() + offset) + ", byteSize=" + requested
                + ", allocator=" + name, page.sites[slot]);
    }

    /** Checked mode: close the block's scope and poison it. The slot is free but not yet reusable. */
    private void afterFree(Page page, int slot) {
        if (!checked) {
            return;
        }
        Arena scope = page.scopes[slot];
        page.scopes[slot] = null;
        page.scoped[slot] = null;
        scope.close(); // every segment of this block throws IllegalStateException from now on
        BlockChecks.poison(page.memory, page.blockOffset(slot), page.blockBytes);
    }

    /**
     * Zeroes a block that was just popped by its owner, with one fill through a global-scope
     * segment of every address: a store loop through the span's segment checks the shared scope
     * and bounds per store and compiles to a vector loop too long for 64 bytes (measured: ~15 ns
     * against ~5 ns for the fill). Safe: the block lies inside a span this allocator holds, and no
     * other thread may touch it now.
     */
    private static void zero(MemorySegment memory, long offset, int blockBytes) {
        EVERY_ADDRESS.asSlice(memory.address() + offset, blockBytes).fill((byte) 0);
    }

    // ------------------------------------------------------------------ metrics and close

    /**
     * {@return the counters summed over every thread cache, and the bytes} Takes the lock for the
     * list of caches; the counters themselves are read without stopping their writers.
     */
    public AllocatorSnapshot snapshot() {
        long[] sum;
        long[] capacity;
        long committed;
        synchronized (lock) {
            sum = retiredCounters.clone();
            for (ThreadCache cache : registry) {
                for (int i = 0; i < ThreadCache.COUNTER_SLOTS; i++) {
                    sum[i] += (long) ThreadCache.COUNTERS.getOpaque(cache.counters, i);
                }
            }
            capacity = capacityByClass.clone();
            committed = (long) segmentCount * SegmentDescriptor.SEGMENT_BYTES;
        }
        long usedBytes = 0;
        List<AllocatorSnapshot.SizeClassSnapshot> classes = new ArrayList<>(SizeClasses.COUNT);
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            long allocs = sum[ThreadCache.CLASS_ALLOCATIONS + c];
            long live = allocs - sum[ThreadCache.CLASS_FREES + c];
            usedBytes += live * SizeClasses.blockBytes(c);
            classes.add(new AllocatorSnapshot.SizeClassSnapshot(SizeClasses.blockBytes(c), live, capacity[c], allocs));
        }
        long allocations = sum[ThreadCache.ALLOCATIONS];
        long frees = sum[ThreadCache.FREES];
        return new AllocatorSnapshot(name, "slab", region.reservedBytes(), committed, usedBytes,
                allocations - frees, allocations, frees, sum[ThreadCache.REMOTE_FREES], failures.get(),
                doubleFrees.get(), useAfterFrees.get(), corruptions.get(), leaks.get(),
                ownsRegion ? region.decommittedBytesTotal() : 0, classes);
    }

    /**
     * Reports every block still live as a leak ({@link LeakReport.Cause#OUTSTANDING_AT_CLOSE}, with
     * allocation sites where tracked), gives every segment back and, if the allocator made its own
     * region, closes it. Every segment of a span the allocator still held throws
     * {@link IllegalStateException} afterwards (one of a span given back earlier throws once the
     * region decommits it).
     * Idempotent. Must not race with other calls on this allocator.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            long blocks = 0;
            long bytes = 0;
            List<Throwable> sites = new ArrayList<>();
            for (Page page : pages) {
                if (page == null || !page.active) {
                    continue;
                }
                for (int slot = 0; slot < page.capacity; slot++) {
                    if (((int) Page.STATE.getAcquire(page.state, slot) & 1) != 0) {
                        blocks++;
                        bytes += checked ? page.requested[slot] : page.blockBytes;
                        if (page.sites != null && page.sites[slot] != null && sites.size() < LeakReport.MAX_SITES) {
                            sites.add(page.sites[slot]);
                        }
                        if (checked && page.scopes[slot] != null) {
                            page.scopes[slot].close();
                        }
                    }
                }
            }
            if (blocks > 0) {
                leaks.addAndGet(blocks);
                LeakListener.deliver(leakListener,
                        new LeakReport(name, LeakReport.Cause.OUTSTANDING_AT_CLOSE, blocks, bytes, sites));
            }
            if (ownsRegion) {
                region.close();
            } else {
                for (Segment segment : segments) {
                    if (segment != null) {
                        region.releaseAndInvalidate(segment.span);
                    }
                }
            }
            Arrays.fill(segments, null);
            segmentCount = 0;
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("allocator is closed: allocator=" + name);
        }
    }

    @Override
    public String toString() {
        return "SlabAllocator[name=" + name + ", checked=" + checked + "]";
    }

    /**
     * Settings of a slab allocator.
     *
     * <p>Thread-safety: not thread-safe; build on one thread.
     */
    public static final class Builder {
        private String name = "slab";
        private Region region;
        private long reserveBytes = Region.DEFAULT_RESERVE_BYTES;
        private boolean zeroing = true;
        private boolean checked;
        private boolean trackSites;
        private LeakListener leakListener = LeakListener.logging();

        private Builder() {
        }

        /**
         * @param name the name used in messages and metrics
         * @return this builder
         */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Allocates from a region someone else owns (and closes); without it the allocator makes
         * and closes its own.
         *
         * @param region the region; its chunk size must be at most a segment (2 MiB)
         * @return this builder
         */
        public Builder region(Region region) {
            this.region = Objects.requireNonNull(region, "region");
            return this;
        }

        /**
         * @param bytes address space the allocator's own region reserves
         * @return this builder
         */
        public Builder reserve(long bytes) {
            this.reserveBytes = bytes; // checked by Region.Builder
            return this;
        }

        /**
         * @param zeroing whether blocks are zeroed before they are handed out (default true)
         * @return this builder
         */
        public Builder zeroing(boolean zeroing) {
            this.zeroing = zeroing;
            return this;
        }

        /**
         * @param checked checked mode: poison, canaries, a scope per block, site tracking
         * @return this builder
         */
        public Builder checked(boolean checked) {
            this.checked = checked;
            return this;
        }

        /**
         * @param track whether each allocation records its stack, reported with leaks and misuse
         * @return this builder
         */
        public Builder trackAllocationSites(boolean track) {
            this.trackSites = track;
            return this;
        }

        /**
         * @param listener receives leak reports (default {@link LeakListener#logging()})
         * @return this builder
         */
        public Builder leakListener(LeakListener listener) {
            this.leakListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * @return the allocator
         * @throws IllegalArgumentException if a given region's chunks are larger than a segment
         * @throws dev.offheap.allocator.NativeCallException if its own region cannot be reserved
         */
        public SlabAllocator build() {
            if (region != null && region.chunkBytes() > SegmentDescriptor.SEGMENT_BYTES) {
                throw new IllegalArgumentException("region chunk must not exceed a slab segment of "
                        + SegmentDescriptor.SEGMENT_BYTES + " bytes: chunkBytes=" + region.chunkBytes());
            }
            return new SlabAllocator(this);
        }
    }
}
