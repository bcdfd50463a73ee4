package dev.offheap.allocator.slab;

import dev.offheap.allocator.Handles;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The slab's pages and segments: carves pages out of segments the region lends, gives empty pages'
 * units back (and a segment with no page left back to the region), purges empty units, and lends
 * each carving an off-heap {@link SlotTable} from its lease of the slot-table mapping ({@link SlotTableMemory}).
 *
 * <h2>Generations across carvings</h2>
 * A page id (segment index, first unit) keeps one {@link Page} object for the allocator's life.
 * When a page retires, its {@code base} becomes one above the highest generation any of its slots
 * handed out, and its slot table remembers the same of itself; the next carving of that id (of any
 * size class, with any table) starts every slot at the larger of the two bases. So a stale handle
 * from an old carving is below every generation of the new one, whatever block its slot now is:
 * refused as stale, never live. A page id whose base passed {@link Handles#MAX_GENERATION} is never
 * carved again (a table too: dropped), the generation rule's retirement at page grain.
 *
 * <p>Thread-safety: everything here runs under {@link #lock} but {@link #pageOrNull}, which reads
 * the page table published with a volatile store.
 */
final class PageHeap {
    private static final java.lang.invoke.VarHandle PAGES;

    static {
        try {
            PAGES = java.lang.invoke.MethodHandles.lookup().findVarHandle(PageHeap.class, "pages", Page[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Object lock = new Object();
    private final String name;
    private final Region region;
    private final BlockMode mode;
    /** Metadata only (slot tables): never the region's memory. Closed at the allocator's close. */
    private final SlotTableMemory.Lease metadata = new SlotTableMemory.Lease();
    @SuppressWarnings("unchecked")
    private final ArrayDeque<SlotTable>[] tables = new ArrayDeque[SizeClasses.COUNT];
    private final long[] capacityByClass = new long[SizeClasses.COUNT];
    final AtomicLong failures = new AtomicLong();

    /**
     * Grown under the lock and published with a release store; entries never change once set.
     * Read plain by {@link #pageOrNull}: a handle is made after its page is in the table, and
     * whoever holds a handle got it through a happens-before edge from its maker, so a plain read
     * sees that table or a newer one (a forged handle may see an older one: foreign).
     */
    private Page[] pages = new Page[0];
    private Segment[] segments = new Segment[0];
    /**
     * Bit {@code i} set: {@code segments[i]} is held and has a unit no page holds. A carve looks only
     * there, so it costs the same with two segments held as with a thousand (scanning every segment
     * made each carve O(segments): 2 µs a block at 2 GiB of 1 KiB blocks).
     */
    private final java.util.BitSet notFull = new java.util.BitSet();
    /** {@link Segment#usedUnits} of a segment every unit of which a page holds. */
    private static final int ALL_UNITS = (int) ((1L << SegmentDescriptor.UNITS_PER_SEGMENT) - 1);
    private int segmentCount;
    private long metadataBytes;
    private int liveTables;
    private boolean closed;
    /** Run before a carve, without the lock: gives dead and idle caches' empty pages back. */
    private volatile Runnable beforeCarve = () -> { };

    PageHeap(String name, Region region, BlockMode mode) {
        this.name = name;
        this.region = region;
        this.mode = mode;
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            tables[c] = new ArrayDeque<>();
        }
    }

    /** {@return the page a handle's location names, or null}; no shape check. Any thread. */
    Page pageOrNull(long handle) {
        long id = SegmentDescriptor.pageId(Handles.location(handle));
        Page[] table = pages;
        return id < table.length ? table[(int) id] : null;
    }

    /** {@return every page id's page, for scans under the lock} */
    Page[] pages() {
        return (Page[]) PAGES.getAcquire(this);
    }

    // ------------------------------------------------------------------ carve

    void beforeCarve(Runnable task) {
        this.beforeCarve = task;
    }

    /** Runs the pre-carve reclaim; the caller holds no lock. */
    void reclaimBeforeCarve() {
        beforeCarve.run();
    }

    /** Carves a page of {@code sizeClass} for {@code owner}, taking a segment if none has room. */
    Page carve(ThreadCache owner, int sizeClass) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("allocator is closed: allocator=" + name);
            }
            int units = SegmentDescriptor.unitsPerPage(sizeClass);
            Segment segment = null;
            int first = -1;
            for (int i = notFull.nextSetBit(0); i >= 0; i = notFull.nextSetBit(i + 1)) {
                if ((first = findRun(segments[i], units)) >= 0) {
                    segment = segments[i];
                    break;
                }
            }
            if (segment == null) {
                segment = newSegment(sizeClass);
                first = findRun(segment, units);
            }
            int runMask = (int) ((1L << units) - 1) << first;
            segment.usedUnits |= runMask;
            if (segment.usedUnits == ALL_UNITS) {
                notFull.clear(segment.index);
            }
            segment.purgedUnits &= ~runMask; // about to be touched again
            boolean zeroed = (segment.touchedUnits & runMask) == 0;
            segment.touchedUnits |= runMask;
            Page page = pages[segment.index * SegmentDescriptor.UNITS_PER_SEGMENT + first];
            init(page, segment, first, units, sizeClass, zeroed);
            page.soOwner(owner);
            return page;
        }
    }

    /** {@return the first unit of a free run for a page, aligned to its length, whose page id is not dead; or -1} */
    private int findRun(Segment segment, int units) {
        int runMask = (int) ((1L << units) - 1);
        Page[] table = pages;
        for (int first = 0; first < SegmentDescriptor.UNITS_PER_SEGMENT; first += units) {
            if ((segment.usedUnits & (runMask << first)) == 0
                    && !table[segment.index * SegmentDescriptor.UNITS_PER_SEGMENT + first].dead) {
                return first;
            }
        }
        return -1;
    }

    private void init(Page page, Segment segment, int first, int units, int sizeClass, boolean zeroed) {
        int blockBytes = SizeClasses.blockBytes(sizeClass);
        int capacity = units * SegmentDescriptor.UNIT_BYTES / blockBytes;
        SlotTable table = tables[sizeClass].pollFirst();
        if (table == null || table.highWater >= Handles.MAX_GENERATION) {
            table = newTable(sizeClass, capacity);
        }
        liveTables++;
        int base = Math.max(page.base, table.highWater + 1);
        page.segment = segment;
        page.firstUnit = first;
        page.units = units;
        page.offset = (long) first * SegmentDescriptor.UNIT_BYTES;
        page.memory = segment.memory;
        page.sizeClass = sizeClass;
        page.blockBytes = blockBytes;
        page.table = table;
        page.statesAt = table.statesAt;
        page.linksAt = table.statesAt + table.linksOffset;
        page.base = base;
        fillStates(table.memory, capacity, SlotState.of(base, SlotState.FREE));
        page.freeHead = Page.END; // links are written a run at a time by Page.extend
        page.extent = 0;
        page.localHead = Page.END;
        page.used = 0;
        page.fresh = zeroed ? 0 : capacity;
        page.purgeable = true; // pre-faulted by the region: resident though free
        page.listed = true;
        page.availPrev = null;
        page.availNext = null;
        page.capacity = capacity;
        mode.onCarve(page);
        capacityByClass[sizeClass] += capacity;
    }

    /**
     * Writes {@code word} into the first {@code capacity} state words of a slot table: a few stores,
     * then copies that double the written part (memcpy speed, each 4-byte word written whole, as the
     * copy is in aligned units of at least 4 bytes). No handle of this carving exists yet; the
     * owner's release store at each hand-out publishes the word to validators.
     */
    private static void fillStates(MemorySegment meta, int capacity, int word) {
        int written = Math.min(capacity, 16);
        for (int slot = 0; slot < written; slot++) {
            meta.set(ValueLayout.JAVA_INT_UNALIGNED, (long) slot << 2, word);
        }
        while (written < capacity) {
            int n = Math.min(written, capacity - written);
            MemorySegment.copy(meta, 0, meta, (long) written << 2, (long) n << 2);
            written += n;
        }
    }

    private SlotTable newTable(int sizeClass, int capacity) {
        long bytes = (long) capacity * SlotTable.BYTES_PER_SLOT;
        MemorySegment memory = metadata.allocate(bytes);
        metadataBytes += bytes;
        return new SlotTable(memory, sizeClass, capacity);
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
                table[id] = new Page(id); // kept for good: a page id's base outlives its segment
            }
        }
        // release store: publishes the table and its new pages before any handle of them exists
        PAGES.setRelease(this, table);
        Segment segment = new Segment(index, span);
        segments[index] = segment;
        notFull.set(index);
        segmentCount++;
        return segment;
    }

    // ------------------------------------------------------------------ retire

    /** Takes back a page with no block in use: its units go free, its table to the pool. Its owner calls. */
    void retire(Page page) {
        synchronized (lock) {
            if (closed) {
                return; // everything goes back at close
            }
            SlotTable table = page.table;
            int capacity = page.capacity;
            int high = page.base - 1;
            for (int slot = 0; slot < capacity; slot++) {
                high = Math.max(high, SlotState.highestIssued(page.lpState(slot)));
            }
            page.capacity = 0; // validators see "not carved" from now on: every old handle is stale
            page.base = high + 1;
            page.dead = page.base > Handles.MAX_GENERATION;
            page.table = null;
            page.checked = null;
            page.soOwner(null);
            table.highWater = Math.max(table.highWater, high);
            liveTables--;
            if (table.highWater < Handles.MAX_GENERATION) {
                tables[page.sizeClass].addFirst(table);
            }
            capacityByClass[page.sizeClass] -= capacity;
            Segment segment = page.segment;
            segment.usedUnits &= ~((int) ((1L << page.units) - 1) << page.firstUnit);
            notFull.set(segment.index);
            region.requestPurge(); // the units are empty: purged after a decay delay if a pass is set
            if (segment.usedUnits == 0 && !closed) {
                try {
                    region.release(segment.span);
                } catch (IllegalStateException closedOrInUse) {
                    return; // keep the empty segment; it is reused or released at close
                }
                segments[segment.index] = null;
                notFull.clear(segment.index);
                segmentCount--;
            }
        }
    }

    // ------------------------------------------------------------------ purge

    /** Purges every unit of a held segment that no page holds and that is not purged yet. */
    long purgeEmptyUnits() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("allocator is closed: allocator=" + name);
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

    /**
     * A full page gained a free slot: asks for a purge pass one decay delay from now, so free runs
     * that form in pages that never fall empty go back too (merged with any pass already asked for:
     * one volatile read then). Any thread; no lock.
     */
    void purgeLater() {
        region.requestPurge();
    }

    /**
     * Purges the free-slot runs of every carved page its owner does not allocate from
     * ({@link ThreadCache#purgeIfNotCurrent}), whoever holds the owner: live platform threads'
     * caches included, which only their thread may otherwise touch. Takes the lock per page, so
     * carves and retires wait for one page's syscalls at most. Any thread.
     *
     * @return the bytes purged
     */
    long purgeNotCurrent() {
        long purged = 0;
        Page[] table = pages();
        for (Page page : table) {
            if (page == null) {
                continue;
            }
            synchronized (lock) {
                ThreadCache owner = page.owner;
                if (closed) {
                    throw new IllegalStateException("allocator is closed: allocator=" + name);
                }
                if (owner != null && page.capacity > 0 && page.purgeable) {
                    purged += owner.purgeIfNotCurrent(page);
                }
            }
        }
        return purged;
    }

    /**
     * Purges the whole OS pages that lie inside runs of free slots of a carved page (blocks of 4 KiB
     * and more, or runs of smaller free blocks that span a page): mapped, reading zero afterwards,
     * which the slot's next hand-out zeroes anyway. Called by the page's holder, or by another
     * thread through {@link ThreadCache#purgeIfNotCurrent}, so no slot of the page is handed out
     * meanwhile (other threads only turn LIVE into REMOTE). Not in checked
     * mode: free blocks hold poison there. A syscall per run.
     *
     * @return the bytes purged
     */
    long purgeFreeSlots(Page page) {
        if (page.capacity == 0 || !page.purgeable || mode instanceof CheckedBlocks) {
            return 0;
        }
        page.purgeable = false; // until a slot is freed again
        long osPage = region.pageSize();
        long purged = 0;
        int slot = 0;
        while (slot < page.capacity) {
            if (!holdsNoBlock(page, slot)) {
                slot++;
                continue;
            }
            int first = slot;
            while (slot < page.capacity && holdsNoBlock(page, slot)) {
                slot++;
            }
            long from = (page.blockOffset(first) + osPage - 1) & -osPage;
            // A run that reaches the last slot takes the page's tail past it too (no block there):
            // ending it at the last block's end would keep the OS page the two share resident.
            long end = slot == page.capacity ? page.offset + (long) page.units * SegmentDescriptor.UNIT_BYTES
                    : page.blockOffset(slot);
            long to = end & -osPage;
            if (to > from) {
                region.purge(page.segment.span, from, to - from);
                purged += to - from;
            }
        }
        return purged;
    }

    private static boolean holdsNoBlock(Page page, int slot) {
        int state = SlotState.state(page.lvState(slot));
        return state == SlotState.FREE || state == SlotState.RETIRED;
    }

    // ------------------------------------------------------------------ figures and close

    /** {@return blocks the carved pages of each class hold} Under the lock. */
    long[] capacityByClass() {
        return capacityByClass.clone();
    }

    /** {@return committed bytes: whole segments held} Under the lock. */
    long committedBytes() {
        return (long) segmentCount * SegmentDescriptor.SEGMENT_BYTES;
    }

    /** {@return an estimate of the Java heap the pages, tables and segments hold} Under the lock. */
    long heapBytes() {
        long pageObjects = (long) pages.length * (Page.HEAP_BYTES + 8);
        long tableObjects = (long) (liveTables + pooledTables()) * (SlotTable.HEAP_BYTES);
        return pageObjects + tableObjects + (long) segments.length * (Segment.HEAP_BYTES + 8);
    }

    private int pooledTables() {
        int n = 0;
        for (ArrayDeque<SlotTable> pool : tables) {
            n += pool.size();
        }
        return n;
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Marks the heap closed and gives every segment back ({@code invalidate}: closing its scope
     * first), after {@code beforeRelease} ran on the pages. Under the lock; returns false if it was
     * closed already.
     */
    boolean close(boolean giveBackSpans) {
        if (closed) {
            return false;
        }
        closed = true;
        if (giveBackSpans) {
            for (Segment segment : segments) {
                if (segment != null) {
                    try {
                        region.releaseAndInvalidate(segment.span);
                    } catch (IllegalStateException closedOrInUse) {
                        // the region closed first (its close invalidated the span) or a native call uses it
                    }
                }
            }
        }
        Arrays.fill(segments, null);
        segmentCount = 0;
        return true;
    }

    /**
     * Gives the slot tables' spans back to the OS and to the mapping's quarantine: a racing access
     * to a table reads and writes memory no other allocator uses yet (it stays mapped).
     */
    void closeMetadata() {
        metadata.close();
    }

    /**
     * {@return off-heap bytes of slot tables, lent or pooled} Under the lock. Up to 1 MiB more
     * of the lease's last span may be resident (the rest of the span being cut, once written).
     */
    long metadataBytes() {
        return metadataBytes;
    }
}
