package dev.offheap.allocator.freelist;

import dev.offheap.allocator.jfr.OffHeapEvents;
import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.budget.BudgetedAllocator;
import dev.offheap.allocator.internal.Checks;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.MeteredAllocator;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * A general-purpose allocator of variable sizes: two-level segregated fit (TLSF, Masmano, Ripoll,
 * Crespo and Real, "TLSF: a New Dynamic Memory Allocator for Real-Time Systems", ECRTS 2004) over
 * spans of a {@link Region}. Allocate, free and in-place resize take O(1) time in the worst case:
 * two bitmap look-ups find a free list whose every block fits, splitting and coalescing touch only
 * the physical neighbours.
 *
 * <p>Thread-safety: thread-safe. Every operation takes one internal lock, held for O(1) work (a
 * span acquisition or release, once per {@link #spanBytes()}, goes to the region under it too).
 * Use one allocator per thread, or a slab allocator in front, where contention matters.
 *
 * <h2>Sizes</h2>
 * Blocks are 16-byte aligned and whole 16-byte granules: from 16 B to {@link #maxBlockBytes()},
 * half the span size (1 MiB with the default 2 MiB spans). Larger requests belong to a
 * {@link dev.offheap.allocator.large.LargeBlockAllocator}.
 *
 * <h2>Metadata out of band</h2>
 * Boundary tags, generations and free-list links live in Java arrays per span, one cell per
 * granule (see {@link TlsfSpan}); the user's bytes hold nothing of the allocator's, so an overrun
 * corrupts the neighbour's data at worst, never the heap's structure. Footprint: 16 bytes of Java
 * heap per 16-byte granule of every span held, that is as many heap bytes as span bytes held (a
 * 2 MiB span costs 2 MiB of heap), plus two arrays of one cell per region chunk.
 *
 * <h2>Handles</h2>
 * {@code Handles.pack(KIND_FREE_LIST, generation, granule)} where {@code granule} is the block's
 * offset from the region's base in 16-byte granules. The generation of each granule is kept out of
 * band and advances whenever a block starting there is handed out, so a second free
 * ({@link DoubleFreeException}), a stale handle ({@link UseAfterFreeException}) and an interior or
 * foreign one ({@link ForeignPointerException}) are told apart in O(1), and the allocator is
 * unchanged after throwing any of them. Generations carry over when a span goes back to the region
 * and its chunks come back in a new span.
 *
 * <h2>Memory given back</h2>
 * A span that falls wholly free goes back to the region at once, except up to
 * {@link Builder#spareSpans(int) spareSpans} (default 1) kept wholly free: giving a span back and
 * taking one again takes the region's lock (and, if the region must then split or decommit that
 * run, a close of its shared scope, a handshake with every thread of about 0.3 ms), so a block
 * allocated and freed in a loop must not do it each time. {@link #trim()} gives back the spares
 * too. The region decommits returned chunks after its decay delay. Free space inside a span that
 * still holds a live block is given back by {@link #purgeFreeBlocks()} (whole pages of free
 * blocks, kept mapped: they read zero), which the façade runs at trim and after a decay delay.
 *
 * <p>Handed-out memory is zeroed unless {@link Builder#zeroing(boolean) zeroing} is off; memory
 * known to be zero (fresh from the region, never handed out) is not written again.
 */
public final class TlsfAllocator implements HandleAllocator, MeteredAllocator {
    /** log2 of the granule, the unit of alignment and size: 16 bytes. */
    static final int GRANULE_SHIFT = 4;
    /** The granule in bytes. */
    public static final long GRANULE_BYTES = 1L << GRANULE_SHIFT;
    /** Default span taken from the region at a time: 2 MiB. */
    public static final long DEFAULT_SPAN_BYTES = 2L << 20;
    /** The largest span: 1 GiB, so that a span's granule index fits the link encoding. */
    public static final long MAX_SPAN_BYTES = 1L << 30;

    /** log2 of the second-level lists per first-level class: 16 lists, at most 1/16 waste of search. */
    private static final int SL_LOG2 = 4;
    private static final int SL_COUNT = 1 << SL_LOG2;
    private static final int FL_COUNT = 32;
    /** A free block this large (64 KiB, in granules) asks the region for a purge pass. */
    private static final int PURGE_REQUEST_GRANULES = (64 * 1024) >>> GRANULE_SHIFT;

    private static final System.Logger LOG = System.getLogger(TlsfAllocator.class.getName());
    /**
     * 64 KiB of zeros, the source of zeroing (a copy makes no slice object, unlike {@code fill});
     * shared by every allocator, never written. On the heap: no native memory outside the region.
     */
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[64 * 1024]);

    private final String name;
    /** This allocator's identity in its handles (see {@link Handles}). */
    private final int tag = Handles.nextTag();
    private final Region region;
    private final boolean ownsRegion;
    private final boolean zeroing;
    private final int maxSpares;
    private final long spanBytes;
    private final long maxBlockBytes;
    private final int maxBlockGranules;
    private final int granuleBits;
    private final int granuleMask;
    private final int chunkShift;

    private final Object lock = new Object();
    // All below guarded by lock.
    /** Index fl * SL_COUNT + sl: the first free block's link, or NIL. */
    private final int[] heads = new int[FL_COUNT * SL_COUNT];
    private int flBitmap;
    private final int[] slBitmaps = new int[FL_COUNT];
    private final TlsfSpan[] slots;
    private final int[] freeSlots;
    private int freeSlotCount;
    /** Per region chunk: the span holding it, if this allocator holds one. */
    private final TlsfSpan[] byChunk;
    /** Per region chunk: the largest generation handed out there by a span now gone. */
    private final int[] chunkGenerationBase;
    /** Wholly free spans kept (each marked {@link TlsfSpan#spare}), at most {@link #maxSpares}. */
    private int spareCount;
    private int spanCount;
    private long usedGranules;
    private long liveBlocks;
    private long allocations;
    private long frees;
    private long failedAllocations;
    private long doubleFrees;
    private long useAfterFrees;
    private long leaks;
    private long releasedBytes;
    private boolean closed;

    private TlsfAllocator(Builder b) {
        this.name = b.name;
        this.ownsRegion = b.region == null;
        this.region = ownsRegion ? Region.builder().name(b.name).reserve(b.reserveBytes).build() : b.region;
        long chunk = region.chunkBytes();
        long span = Checks.alignUp(Math.max(b.spanBytes, chunk), chunk);
        if (span > MAX_SPAN_BYTES || region.reservedBytes() > Handles.MAX_GRANULE_REGION_BYTES) {
            closeOwnRegion();
            throw new IllegalArgumentException("span must not exceed " + MAX_SPAN_BYTES + " nor the reservation "
                    + Handles.MAX_GRANULE_REGION_BYTES + ": spanBytes=" + span + ", reservedBytes=" + region.reservedBytes());
        }
        this.spanBytes = span;
        this.zeroing = b.zeroing;
        this.maxSpares = b.spareSpans;
        this.maxBlockBytes = span / 2;
        this.maxBlockGranules = (int) (maxBlockBytes >>> GRANULE_SHIFT);
        this.granuleBits = Long.numberOfTrailingZeros(span >>> GRANULE_SHIFT);
        this.granuleMask = (1 << granuleBits) - 1;
        this.chunkShift = Long.numberOfTrailingZeros(chunk);
        int chunks = Math.toIntExact(region.reservedBytes() >>> chunkShift);
        int maxSlots = (int) Math.min(1L << (31 - granuleBits), region.reservedBytes() / span);
        this.slots = new TlsfSpan[maxSlots];
        this.freeSlots = new int[maxSlots];
        for (int i = 0; i < maxSlots; i++) {
            freeSlots[i] = maxSlots - 1 - i; // lowest slot on top
        }
        this.freeSlotCount = maxSlots;
        this.byChunk = new TlsfSpan[chunks];
        this.chunkGenerationBase = new int[chunks];
        java.util.Arrays.fill(heads, TlsfSpan.NIL);
    }

    /** {@return a builder: own region of 64 GiB reserved, 2 MiB spans, zeroing on} */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
    }

    /** {@return the region this allocator takes its spans from} */
    public Region region() {
        return region;
    }

    /** {@return the bytes of one span taken from the region} */
    public long spanBytes() {
        return spanBytes;
    }

    /** {@return the largest block this allocator serves, in bytes: half a span} */
    public long maxBlockBytes() {
        return maxBlockBytes;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The block is {@code byteSize} rounded up to 16 bytes, zeroed unless zeroing is off.
     *
     * @throws IllegalArgumentException if {@code byteSize <= 0} or {@code byteSize > maxBlockBytes()}
     * @throws OutOfOffHeapMemoryException if the region cannot lend another span
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public long allocate(long byteSize) {
        int need = granulesFor(byteSize);
        synchronized (lock) {
            ensureOpen();
            return allocateLocked(need);
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws DoubleFreeException if the block was freed already
     * @throws ForeignPointerException if this allocator never made the handle, or it points inside a block
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public void free(long handle) {
        synchronized (lock) {
            ensureOpen();
            TlsfSpan sp = liveSpanOf(handle, true);
            freeLocked(sp, (int) (Handles.location(handle) - sp.baseGranule));
        }
    }

    /**
     * Resizes a block as {@code realloc} does: in place when it shrinks or when the block after it
     * is free and large enough, else by allocating a new block, copying and freeing the old one.
     * Bytes added are zeroed unless zeroing is off.
     *
     * @param handle a live handle
     * @param newByteSize the bytes wanted now
     * @return the block's handle: {@code handle} if it stayed in place, else a new one (and
     *         {@code handle} is dead)
     * @throws IllegalArgumentException if {@code newByteSize <= 0} or {@code newByteSize > maxBlockBytes()}
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws OutOfOffHeapMemoryException if the block must move and no memory is left; the old
     *         block is unchanged then
     * @throws IllegalStateException if the allocator is closed
     */
    public long resize(long handle, long newByteSize) {
        int need = granulesFor(newByteSize);
        synchronized (lock) {
            ensureOpen();
            TlsfSpan sp = liveSpanOf(handle, false);
            int g = (int) (Handles.location(handle) - sp.baseGranule);
            int size = sp.tagAt(g) & TlsfSpan.SIZE_MASK;
            if (need == size) {
                return handle;
            }
            if (need < size) {
                int rest = size - need;
                sp.tag(g, need, false);
                usedGranules -= rest;
                int r = g + need;
                int after = r + rest;
                if (after < sp.granules && (sp.tagAt(after) & TlsfSpan.FREE) != 0) {
                    int afterSize = sp.tagAt(after) & TlsfSpan.SIZE_MASK;
                    removeFree(sp, after, afterSize);
                    rest += afterSize;
                }
                insertFree(sp, r, rest);
                return handle;
            }
            int r = g + size;
            if (r < sp.granules && (sp.tagAt(r) & TlsfSpan.FREE) != 0
                    && size + (sp.tagAt(r) & TlsfSpan.SIZE_MASK) >= need) {
                int total = size + (sp.tagAt(r) & TlsfSpan.SIZE_MASK);
                removeFree(sp, r, total - size);
                if (total > need) {
                    insertFree(sp, g + need, total - need);
                }
                sp.tag(g, need, false);
                zero(sp, r, need - size);
                usedGranules += need - size;
                return handle;
            }
            long moved = allocateLocked(need);
            TlsfSpan to = byChunk[chunkOf(Handles.location(moved))];
            int tg = (int) (Handles.location(moved) - to.baseGranule);
            MemorySegment.copy(sp.span.segment(), (long) g << GRANULE_SHIFT,
                    to.span.segment(), (long) tg << GRANULE_SHIFT, (long) size << GRANULE_SHIFT);
            freeLocked(sp, g);
            return moved;
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The segment is bound to its span's scope: it throws {@link IllegalStateException} once
     * the span's memory is decommitted by the region or the allocator closes, never reaching memory
     * that is not committed. Kept past its block's free it aliases whatever is allocated there next,
     * also after the span went back to the region, until the region decommits that memory.
     *
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle, or it points inside a block
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public MemorySegment segment(long handle) {
        synchronized (lock) {
            ensureOpen();
            TlsfSpan sp = liveSpanOf(handle, false);
            int g = (int) (Handles.location(handle) - sp.baseGranule);
            return sp.span.segment().asSlice((long) g << GRANULE_SHIFT,
                    (long) (sp.tagAt(g) & TlsfSpan.SIZE_MASK) << GRANULE_SHIFT);
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle, or it points inside a block
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public long byteSize(long handle) {
        synchronized (lock) {
            ensureOpen();
            TlsfSpan sp = liveSpanOf(handle, false);
            int g = (int) (Handles.location(handle) - sp.baseGranule);
            return (long) (sp.tagAt(g) & TlsfSpan.SIZE_MASK) << GRANULE_SHIFT;
        }
    }

    /** {@inheritDoc} False once the allocator is closed. */
    @Override
    public boolean isLive(long handle) {
        synchronized (lock) {
            if (closed || !Handles.hasShape(handle, Handles.KIND_FREE_LIST, tag)) {
                return false;
            }
            long location = Handles.location(handle);
            if (location >= (region.reservedBytes() >>> GRANULE_SHIFT)) {
                return false;
            }
            TlsfSpan sp = byChunk[chunkOf(location)];
            if (sp == null) {
                return false;
            }
            int cell = sp.generationAt((int) (location - sp.baseGranule));
            return (cell & TlsfSpan.LIVE) != 0 && (cell & Handles.GENERATION_MASK) == Handles.generation(handle);
        }
    }

    /**
     * Creates a child allocator that serves from this one under a budget of its own, as Arrow's
     * {@code BufferAllocator.newChildAllocator} does.
     *
     * @param childName the child's name, used in messages and metrics
     * @param limitBytes the most bytes the child's live blocks may hold, as this allocator rounds them
     * @return the child; closing it frees (and reports) its blocks still live, not this allocator
     * @throws IllegalArgumentException if {@code limitBytes <= 0}
     */
    public BudgetedAllocator newChild(String childName, long limitBytes) {
        return new BudgetedAllocator(this, childName, limitBytes);
    }

    /**
     * Gives every wholly free span back to the region now, then asks the region to decommit its
     * idle chunks now ({@link Region#trim()}).
     *
     * @return the bytes of spans given back to the region by this call
     * @throws IllegalStateException if the allocator is closed
     */
    public long trim() {
        synchronized (lock) {
            ensureOpen();
            long given = 0;
            for (TlsfSpan sp : slots) {
                if (spareCount == 0) {
                    break;
                }
                if (sp != null && sp.spare) {
                    removeFree(sp, 0, sp.granules);
                    releaseSpan(sp);
                    given += spanBytes;
                }
            }
            region.trim();
            return given;
        }
    }

    /**
     * Gives the memory of the whole pages inside every free block of the spans held back to the
     * OS, keeping them mapped (see {@link Region#purge}): free space inside a span that still holds
     * a live block stops costing resident memory. The metadata lives out of band, so nothing of
     * the allocator's is lost; the purged bytes read zero. A syscall per such block, under the
     * allocator's lock: call it off the hot path (the façade's {@code trim()} does).
     *
     * <p>Thread-safety: thread-safe; takes the allocator's lock.
     *
     * @return the bytes purged
     * @throws IllegalStateException if the allocator is closed
     * @throws dev.offheap.allocator.NativeCallException if the kernel refuses; the blocks not yet
     *         purged stay as they were
     */
    public long purgeFreeBlocks() {
        synchronized (lock) {
            ensureOpen();
            long page = region.pageSize();
            long purged = 0;
            for (TlsfSpan sp : slots) {
                if (sp == null) {
                    continue;
                }
                int g = 0;
                while (g < sp.granules) {
                    int tag = sp.tagAt(g);
                    int size = tag & TlsfSpan.SIZE_MASK;
                    if ((tag & TlsfSpan.FREE) != 0) {
                        long start = (long) g << GRANULE_SHIFT;
                        long end = (long) (g + size) << GRANULE_SHIFT;
                        long from = Checks.alignUp(start, page);
                        long to = end & -page; // the region pre-faults: clean granules are resident too
                        if (to > from) {
                            region.purge(sp.span, from, to - from);
                            purged += to - from;
                        }
                    }
                    g += Math.max(1, size);
                }
            }
            return purged;
        }
    }

    /**
     * {@return exact figures, read under the lock} {@code committedBytes} counts the spans held,
     * {@code decommittedBytes} the span bytes given back to the region.
     */
    public AllocatorSnapshot snapshot() {
        synchronized (lock) {
            return new AllocatorSnapshot(name, "free-list", region.reservedBytes(), (long) spanCount * spanBytes,
                    usedGranules << GRANULE_SHIFT, liveBlocks, allocations, frees, 0, failedAllocations,
                    doubleFrees, useAfterFrees, 0, leaks, releasedBytes, List.of());
        }
    }

    /**
     * Frees every block still live, reporting them as leaks (a warning through
     * {@link System.Logger} and {@code leaks} in the snapshot), and gives every span back; closes
     * the region too if the allocator made it. Every segment of a span the allocator still held
     * throws from now on (a segment of a span it had given back already follows
     * {@link Region#release(Span)}: it throws once that memory is decommitted).
     * Idempotent.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            leaks = liveBlocks;
            if (liveBlocks > 0) {
                LOG.log(System.Logger.Level.WARNING, "free-list allocator closed with live blocks: name={0}, "
                        + "leakedBlocks={1}, leakedBytes={2}", name, liveBlocks, usedGranules << GRANULE_SHIFT);
            }
            if (ownsRegion) {
                closeOwnRegion();
            } else {
                for (TlsfSpan sp : slots) {
                    if (sp != null) {
                        region.releaseAndInvalidate(sp.span);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- internals, under the lock

    private int granulesFor(long byteSize) {
        Checks.checkPositive("byteSize", byteSize);
        if (byteSize > maxBlockBytes) {
            throw new IllegalArgumentException("byteSize must not exceed the largest free-list block "
                    + maxBlockBytes + ": byteSize=" + byteSize + ", allocator=" + name);
        }
        return (int) ((byteSize + GRANULE_BYTES - 1) >>> GRANULE_SHIFT);
    }

    private long allocateLocked(int need) {
        int link = findFree(need);
        if (link == TlsfSpan.NIL) {
            try {
                addSpan();
            } catch (OutOfOffHeapMemoryException e) {
                failedAllocations++;
                throw e;
            }
            link = findFree(need);
        }
        TlsfSpan sp = slots[link >>> granuleBits];
        int g = link & granuleMask;
        int size = sp.tagAt(g) & TlsfSpan.SIZE_MASK;
        removeFree(sp, g, size);
        if (size > need) {
            insertFree(sp, g + need, size - need);
        }
        sp.tag(g, need, false);
        if (sp.spare) {
            sp.spare = false;
            spareCount--;
        }
        int cell = sp.generationAt(g);
        int generation = Handles.nextGeneration(cell == 0 ? sp.generationBase : cell & Handles.GENERATION_MASK);
        sp.meta[g << 1 | 1] = generation | TlsfSpan.LIVE;
        sp.maxGeneration = Math.max(sp.maxGeneration, generation);
        sp.liveBlocks++;
        zero(sp, g, need);
        usedGranules += need;
        liveBlocks++;
        allocations++;
        return Handles.pack(Handles.KIND_FREE_LIST, tag, generation, sp.baseGranule + g);
    }

    private void freeLocked(TlsfSpan sp, int g) {
        int size = sp.tagAt(g) & TlsfSpan.SIZE_MASK;
        sp.meta[g << 1 | 1] &= ~TlsfSpan.LIVE;
        sp.liveBlocks--;
        usedGranules -= size;
        liveBlocks--;
        frees++;
        if (g > 0 && (sp.tagAt(g - 1) & TlsfSpan.FREE) != 0) {
            int left = sp.tagAt(g - 1) & TlsfSpan.SIZE_MASK;
            g -= left;
            removeFree(sp, g, left);
            size += left;
        }
        int r = g + size;
        if (r < sp.granules && (sp.tagAt(r) & TlsfSpan.FREE) != 0) {
            int right = sp.tagAt(r) & TlsfSpan.SIZE_MASK;
            removeFree(sp, r, right);
            size += right;
        }
        if (size == sp.granules && spareCount >= maxSpares) {
            releaseSpan(sp); // wholly free and enough spares are kept already: back to the region now
            return;
        }
        insertFree(sp, g, size);
        if (size == sp.granules) {
            sp.spare = true;
            spareCount++;
        }
        if (size >= PURGE_REQUEST_GRANULES) {
            region.requestPurge(); // whole pages free inside a span: purged after a decay delay if a pass is set
        }
    }

    /** Zeroes granules {@code [g, g + n)} where they may hold old data. */
    private void zero(TlsfSpan sp, int g, int n) {
        int end = g + n;
        if (zeroing && g < sp.cleanFrom) {
            // Copied from a zero segment rather than fill() on a slice: no garbage per allocation.
            long offset = (long) g << GRANULE_SHIFT;
            long remaining = (long) (Math.min(end, sp.cleanFrom) - g) << GRANULE_SHIFT;
            while (remaining > 0) {
                long step = Math.min(remaining, ZEROS.byteSize());
                MemorySegment.copy(ZEROS, 0, sp.span.segment(), offset, step);
                offset += step;
                remaining -= step;
            }
        }
        // Granules below the end may be written by the user from now on.
        sp.cleanFrom = Math.max(sp.cleanFrom, end);
    }

    private void addSpan() {
        if (freeSlotCount == 0) {
            throw new OutOfOffHeapMemoryException("span table full", name, spanBytes,
                    (long) slots.length * spanBytes, (long) spanCount * spanBytes, usedGranules << GRANULE_SHIFT);
        }
        Span span = region.acquire(spanBytes);
        long offset = span.address() - region.baseAddress();
        int firstChunk = (int) (offset >>> chunkShift);
        int chunks = (int) (spanBytes >>> chunkShift);
        int base = 0;
        for (int c = firstChunk; c < firstChunk + chunks; c++) {
            base = Math.max(base, chunkGenerationBase[c]);
        }
        int slot = freeSlots[--freeSlotCount];
        TlsfSpan sp = new TlsfSpan(span, slot, offset >>> GRANULE_SHIFT, base);
        slots[slot] = sp;
        for (int c = firstChunk; c < firstChunk + chunks; c++) {
            byChunk[c] = sp;
        }
        spanCount++;
        insertFree(sp, 0, sp.granules);
    }

    /** Gives a wholly free span, already off the free lists, back to the region. */
    private void releaseSpan(TlsfSpan sp) {
        int firstChunk = (int) ((sp.baseGranule << GRANULE_SHIFT) >>> chunkShift);
        int chunks = (int) (spanBytes >>> chunkShift);
        for (int c = firstChunk; c < firstChunk + chunks; c++) {
            byChunk[c] = null;
            chunkGenerationBase[c] = Math.max(chunkGenerationBase[c], sp.maxGeneration);
        }
        slots[sp.slot] = null;
        freeSlots[freeSlotCount++] = sp.slot;
        spanCount--;
        releasedBytes += spanBytes;
        if (sp.spare) {
            sp.spare = false;
            spareCount--;
        }
        region.release(sp.span);
    }

    private int chunkOf(long location) {
        return (int) ((location << GRANULE_SHIFT) >>> chunkShift);
    }

    /**
     * Finds the span of a live handle, or throws: stale handles as a double free (on free) or a use
     * after free (otherwise), anything else as foreign.
     */
    private TlsfSpan liveSpanOf(long handle, boolean freeing) {
        if (!Handles.hasShape(handle, Handles.KIND_FREE_LIST, tag)) {
            throw foreign(handle, "not a free-list handle");
        }
        long location = Handles.location(handle);
        if (location >= (region.reservedBytes() >>> GRANULE_SHIFT)) {
            throw foreign(handle, "outside the region");
        }
        int generation = Handles.generation(handle);
        int chunk = chunkOf(location);
        TlsfSpan sp = byChunk[chunk];
        int current;
        if (sp == null) {
            current = chunkGenerationBase[chunk];
        } else {
            int cell = sp.generationAt((int) (location - sp.baseGranule));
            if ((cell & TlsfSpan.LIVE) != 0 && (cell & Handles.GENERATION_MASK) == generation) {
                return sp;
            }
            current = cell == 0 ? sp.generationBase : cell & Handles.GENERATION_MASK;
        }
        if (generation == 0 || generation > current) {
            throw foreign(handle, sp == null ? "not in a span of this allocator" : "not the start of a block");
        }
        if (freeing) {
            doubleFrees++;
            OffHeapEvents.emitDoubleFree(name, handle, 0);
            throw new DoubleFreeException("block freed already: handle=" + Handles.toString(handle)
                    + ", allocator=" + name);
        }
        useAfterFrees++;
        OffHeapEvents.emitUseAfterFree(name, handle, 0);
        throw new UseAfterFreeException("block used after free: handle=" + Handles.toString(handle)
                + ", allocator=" + name);
    }

    private ForeignPointerException foreign(long handle, String why) {
        return new ForeignPointerException("handle not made by this allocator, " + why + ": handle="
                + Handles.toString(handle) + ", allocator=" + name);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("allocator is closed: allocator=" + name);
        }
    }

    private void closeOwnRegion() {
        if (ownsRegion) {
            region.close();
        }
    }

    // ---------------------------------------------------------------- TLSF mapping and lists

    /** {@return fl * SL_COUNT + sl of the list that holds free blocks of {@code size} granules} */
    private static int listOf(int size) {
        if (size < SL_COUNT) {
            return size; // fl 0: one list per size, exact
        }
        int log2 = 31 - Integer.numberOfLeadingZeros(size);
        int fl = log2 - SL_LOG2 + 1;
        int sl = (size >>> (log2 - SL_LOG2)) ^ SL_COUNT;
        return fl * SL_COUNT + sl;
    }

    /** {@return the link of a free block of at least {@code need} granules, or NIL; O(1)} */
    private int findFree(int need) {
        int size = need;
        if (size >= SL_COUNT) {
            // Round up to the next list boundary so that every block of the list found fits.
            size += (1 << (31 - Integer.numberOfLeadingZeros(size) - SL_LOG2)) - 1;
        }
        int list = listOf(size);
        int fl = list >>> SL_LOG2;
        int sl = list & (SL_COUNT - 1);
        if (fl >= FL_COUNT) {
            return TlsfSpan.NIL;
        }
        int slMap = slBitmaps[fl] & (-1 << sl);
        if (slMap == 0) {
            int flMap = fl + 1 < FL_COUNT ? flBitmap & (-1 << (fl + 1)) : 0;
            if (flMap == 0) {
                return TlsfSpan.NIL;
            }
            fl = Integer.numberOfTrailingZeros(flMap);
            slMap = slBitmaps[fl];
        }
        return heads[fl * SL_COUNT + Integer.numberOfTrailingZeros(slMap)];
    }

    private void insertFree(TlsfSpan sp, int g, int size) {
        sp.tag(g, size, true);
        int list = listOf(size);
        int link = (sp.slot << granuleBits) | g;
        int first = heads[list];
        sp.links[g << 1] = first;
        sp.links[g << 1 | 1] = TlsfSpan.NIL;
        if (first != TlsfSpan.NIL) {
            slots[first >>> granuleBits].links[(first & granuleMask) << 1 | 1] = link;
        }
        heads[list] = link;
        flBitmap |= 1 << (list >>> SL_LOG2);
        slBitmaps[list >>> SL_LOG2] |= 1 << (list & (SL_COUNT - 1));
    }

    private void removeFree(TlsfSpan sp, int g, int size) {
        int list = listOf(size);
        int prev = sp.prevAt(g);
        int next = sp.nextAt(g);
        if (prev != TlsfSpan.NIL) {
            slots[prev >>> granuleBits].links[(prev & granuleMask) << 1] = next;
        } else {
            heads[list] = next;
            if (next == TlsfSpan.NIL) {
                int fl = list >>> SL_LOG2;
                slBitmaps[fl] &= ~(1 << (list & (SL_COUNT - 1)));
                if (slBitmaps[fl] == 0) {
                    flBitmap &= ~(1 << fl);
                }
            }
        }
        if (next != TlsfSpan.NIL) {
            slots[next >>> granuleBits].links[(next & granuleMask) << 1 | 1] = prev;
        }
        sp.meta[g << 1] &= TlsfSpan.SIZE_MASK; // no longer free; the caller retags
        sp.meta[(g + size - 1) << 1] &= TlsfSpan.SIZE_MASK;
    }

    // ---------------------------------------------------------------- invariants, for tests

    /**
     * Checks every structural invariant, in time linear in the spans held: each span is tiled by
     * blocks whose head and tail tags agree; no two free blocks are adjacent; the free lists hold
     * exactly the free blocks, each in the list of its size, with consistent back links; the
     * bitmaps mark exactly the non-empty lists; live heads carry LIVE and the counters match.
     *
     * @throws IllegalStateException naming the first invariant found broken
     */
    void verifyInvariants() {
        synchronized (lock) {
            long freeBlocks = 0;
            long live = 0;
            long used = 0;
            int spans = 0;
            for (TlsfSpan sp : slots) {
                if (sp == null) {
                    continue;
                }
                spans++;
                boolean previousFree = false;
                int spanLive = 0;
                for (int g = 0; g < sp.granules; ) {
                    int tag = sp.tagAt(g);
                    int size = tag & TlsfSpan.SIZE_MASK;
                    check(size > 0 && g + size <= sp.granules, "block inside its span", sp, g);
                    check(sp.tagAt(g + size - 1) == tag, "head and tail tags agree", sp, g);
                    boolean free = (tag & TlsfSpan.FREE) != 0;
                    boolean liveHead = (sp.generationAt(g) & TlsfSpan.LIVE) != 0;
                    check(free != liveHead, "a block is free or a live head, not both", sp, g);
                    for (int i = g + 1; i < g + size; i++) {
                        check((sp.generationAt(i) & TlsfSpan.LIVE) == 0, "no LIVE mark inside a block", sp, i);
                    }
                    if (free) {
                        check(!previousFree, "no two adjacent free blocks", sp, g);
                        freeBlocks++;
                    } else {
                        spanLive++;
                        used += size;
                    }
                    previousFree = free;
                    g += size;
                }
                check(spanLive == sp.liveBlocks, "span live count", sp, 0);
                live += spanLive;
                for (int c = 0; c < spanBytes >>> chunkShift; c++) {
                    check(byChunk[chunkOf(sp.baseGranule) + c] == sp, "chunk table names the span", sp, 0);
                }
            }
            long listed = 0;
            for (int list = 0; list < heads.length; list++) {
                int fl = list >>> SL_LOG2;
                int bit = 1 << (list & (SL_COUNT - 1));
                boolean marked = (slBitmaps[fl] & bit) != 0;
                check(marked == (heads[list] != TlsfSpan.NIL), "second-level bitmap matches list " + list, null, 0);
                check(((flBitmap >>> fl) & 1) == (slBitmaps[fl] != 0 ? 1 : 0), "first-level bitmap matches " + fl, null, 0);
                int prev = TlsfSpan.NIL;
                for (int link = heads[list]; link != TlsfSpan.NIL; ) {
                    TlsfSpan sp = slots[link >>> granuleBits];
                    int g = link & granuleMask;
                    check(sp != null, "free link names a held span", null, 0);
                    check((sp.tagAt(g) & TlsfSpan.FREE) != 0, "listed block is free", sp, g);
                    check(listOf(sp.tagAt(g) & TlsfSpan.SIZE_MASK) == list, "free block in the list of its size", sp, g);
                    check(sp.prevAt(g) == prev, "back link", sp, g);
                    check(++listed <= freeBlocks, "no cycle in the free lists", sp, g);
                    prev = link;
                    link = sp.nextAt(g);
                }
            }
            check(listed == freeBlocks, "free lists hold every free block: listed=" + listed
                    + ", free=" + freeBlocks, null, 0);
            check(live == liveBlocks, "live blocks counted: walked=" + live + ", counter=" + liveBlocks, null, 0);
            check(used == usedGranules, "used granules counted", null, 0);
            check(spans == spanCount, "span count", null, 0);
            int spares = 0;
            for (TlsfSpan sp : slots) {
                if (sp != null && sp.spare) {
                    spares++;
                    check(sp.liveBlocks == 0 && (sp.tagAt(0) & TlsfSpan.SIZE_MASK) == sp.granules,
                            "a spare span is wholly free", sp, 0);
                }
            }
            check(spares == spareCount && spares <= maxSpares, "spare count: marked=" + spares
                    + ", counter=" + spareCount + ", max=" + maxSpares, null, 0);
        }
    }

    /** {@return the free blocks of each span held, in slot order, for tests} */
    int[] freeBlocksPerSpan() {
        synchronized (lock) {
            int[] counts = new int[spanCount];
            int i = 0;
            for (TlsfSpan sp : slots) {
                if (sp == null) {
                    continue;
                }
                for (int g = 0; g < sp.granules; g += sp.tagAt(g) & TlsfSpan.SIZE_MASK) {
                    if ((sp.tagAt(g) & TlsfSpan.FREE) != 0) {
                        counts[i]++;
                    }
                }
                i++;
            }
            return counts;
        }
    }

    private static void check(boolean ok, String invariant, TlsfSpan sp, int g) {
        if (!ok) {
            throw new IllegalStateException("TLSF invariant broken: " + invariant
                    + (sp == null ? "" : ", span=" + sp.span + ", granule=" + g));
        }
    }

    /**
     * Settings of a free-list allocator.
     *
     * <p>Thread-safety: not thread-safe; build on one thread.
     */
    public static final class Builder {
        private String name = "free-list";
        private Region region;
        private long reserveBytes = Region.DEFAULT_RESERVE_BYTES;
        private long spanBytes = DEFAULT_SPAN_BYTES;
        private boolean zeroing = true;
        private int spareSpans = 1;

        private Builder() {
        }

        /**
         * Sets how many wholly free spans are kept instead of given back to the region at once
         * (default 1): a block allocated and freed in a loop then never takes and returns a span
         * each time. {@link TlsfAllocator#trim()} gives the spares back whatever the setting.
         *
         * @param count the spans kept wholly free; 0 gives every span back as soon as it is free
         * @return this builder
         * @throws IllegalArgumentException if {@code count < 0}
         */
        public Builder spareSpans(int count) {
            this.spareSpans = (int) Checks.checkNotNegative("spareSpans", count);
            return this;
        }

        /**
         * Names the allocator.
         *
         * @param name the name used in messages and metrics
         * @return this builder
         */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Shares a region.
         *
         * @param region a region to share with other allocators; the allocator does not close it.
         *        Without one, the allocator makes its own and closes it on close.
         * @return this builder
         */
        public Builder region(Region region) {
            this.region = Objects.requireNonNull(region, "region");
            return this;
        }

        /**
         * Sets the reservation of its own region.
         *
         * @param bytes the reservation of the allocator's own region (ignored with a given region)
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes <= 0}
         */
        public Builder reserve(long bytes) {
            this.reserveBytes = Checks.checkPositive("reserveBytes", bytes);
            return this;
        }

        /**
         * Sets the span taken from the region at a time.
         *
         * @param bytes the span taken from the region at a time, rounded up to whole region chunks;
         *        the largest block is half of it
         * @return this builder
         * @throws IllegalArgumentException if not a power of two in [4 KiB, 1 GiB]
         */
        public Builder spanBytes(long bytes) {
            this.spanBytes = Checks.checkPowerOfTwo("spanBytes", bytes, 4096, MAX_SPAN_BYTES);
            return this;
        }

        /**
         * Turns zeroing on or off.
         *
         * @param enabled whether handed-out memory is zeroed (default on)
         * @return this builder
         */
        public Builder zeroing(boolean enabled) {
            this.zeroing = enabled;
            return this;
        }

        /**
         * Builds the allocator.
         *
         * @return the allocator
         * @throws IllegalArgumentException if the span exceeds 1 GiB or the region 16 TiB
         * @throws dev.offheap.allocator.NativeCallException if its own region cannot be reserved
         */
        public TlsfAllocator build() {
            return new TlsfAllocator(this);
        }
    }
}
