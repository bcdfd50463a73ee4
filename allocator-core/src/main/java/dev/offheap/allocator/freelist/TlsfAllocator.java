package dev.offheap.allocator.freelist;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.HeapCorruptionException;
import dev.offheap.allocator.LeakListener;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.budget.BudgetedAllocator;
import dev.offheap.allocator.internal.BlockChecks;
import dev.offheap.allocator.internal.Checks;
import dev.offheap.allocator.internal.HandleCheck;
import dev.offheap.allocator.internal.LeakReporter;
import dev.offheap.allocator.internal.MetadataMemory;
import dev.offheap.allocator.internal.SegmentAllocatorView;
import dev.offheap.allocator.internal.Zeroing;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.MeteredAllocator;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.Objects;

/**
 * A general-purpose allocator of variable sizes: two-level segregated fit (TLSF, Masmano, Ripoll,
 * Crespo and Real, "TLSF: a New Dynamic Memory Allocator for Real-Time Systems", ECRTS 2004) over
 * spans of a {@link Region}. Allocate, free and in-place resize take O(1) bitmap and list work:
 * two bitmap look-ups find a free list whose every block fits, splitting and coalescing touch only
 * the physical neighbours (each a hash-table look-up of their out-of-band record).
 *
 * <p>Thread-safety: thread-safe. {@link #allocate}, {@link #free} and {@link #resize} each hold one
 * internal lock once, for O(1) work (a span acquisition or release, once per {@link #spanBytes()},
 * goes to the region under it too; zeroing a new block happens after it). {@link #segment},
 * {@link #byteSize} and {@link #isLive} of a live handle take no lock: they read the block's record
 * with acquire loads, and take the lock only when that read does not show the block live (to
 * classify the handle exactly, or to retry a read that raced a change).
 *
 * <h2>Sizes</h2>
 * Blocks are 16-byte aligned and whole 16-byte granules: from 16 B to {@link #maxBlockBytes()},
 * half the span size (1 MiB with the default 2 MiB spans). Larger requests belong to a
 * {@link dev.offheap.allocator.large.LargeBlockAllocator}.
 *
 * <h2>Metadata out of band, off the Java heap</h2>
 * Each span's block records (boundary tags, generations, free-list links) live in a hash table off
 * the Java heap ({@link BlockTable}) and its generation counters beside it, in a region of page-sized
 * chunks that the allocator maps for metadata only ({@link MetadataMemory}), away from the region
 * that holds user blocks: the user's bytes hold nothing of the
 * allocator's, so an overrun corrupts the neighbour's data at worst, never the allocator's
 * structure. The table holds a record per block start and one per free block's last granule, so it
 * grows with the number of blocks, not with the bytes held.
 *
 * <h2>Footprint</h2>
 * Off the heap, per span held: {@code 16 × capacity} bytes of block table, where {@code capacity}
 * is the power of two at or above {@code 8/5 × records} and {@code records = blocks + freeBlocks}
 * (each free block has a start and a tail record, each live one a start record), plus
 * {@code spanBytes / 1024} bytes of generation counters (one {@code int} per 4 KiB); the smallest
 * table is one page (160 records at its 5/8 load; a default 2 MiB span of the façade's blocks,
 * over 64 KiB, holds at most 31 live ones). A table grown for a burst keeps its size until its
 * span goes back to the region; a replaced storage is retired at once (its scope closed: a
 * handshake with every thread, about 0.3 ms, under the lock) and its pages decay back to the OS
 * with the metadata region's idle chunks, or at {@link #trim()}. With {@code B} the mean
 * block size and {@code f} free blocks per live block that is at most
 * {@code 16 × 2 × (8/5) × (1 + 2f) / B + 1/1024} of the live bytes (the 2 for power-of-two
 * rounding): measured 0.73 % at 16 KiB blocks with a third of them freed, 0.18 % at 256 KiB, but
 * 38 % at 256 B (small sizes belong to the slab). On the Java heap: tables of 16 bytes per span slot and 8 bytes per region
 * chunk, grown by doubling to the highest slot and chunk used (at most {@code 16 × (reservedBytes /
 * spanBytes) + 8 × (reservedBytes / chunkBytes)}, 768 KiB for a 64 GiB reservation wholly used in
 * 2 MiB spans; a few hundred bytes for an allocator that holds a span or two), plus about 400
 * bytes per span slot used (span, table, scope and segment objects), whatever the blocks, and
 * the metadata region's per-chunk tables (about 14 bytes per page of metadata). {@link #metadataOffHeapBytes()} and
 * {@link #metadataHeapBytes()} report them.
 *
 * <h2>Handles</h2>
 * {@code Handles.pack(KIND_FREE_LIST, tag, generation, granule)} where {@code granule} is the
 * block's offset from the region's base in 16-byte granules. A block's generation comes from the
 * counter of the 4 KiB cell it starts in, which only goes up (see {@link TlsfSpan}), so a second
 * free ({@link DoubleFreeException}), a stale handle ({@link UseAfterFreeException}) and an
 * interior or foreign one ({@link ForeignPointerException}) are told apart by
 * {@link HandleCheck}, and the allocator is unchanged after throwing any of them. Generations carry
 * over when a span goes back to the region and its chunks come back in a new span. A cell whose
 * counter reaches {@link Handles#MAX_GENERATION} is <em>retired</em>: the next allocation that
 * would start a block in it cuts the free block's part in that cell out instead (a retired piece,
 * at most 4 KiB, never handed out again, its whole pages purged with free blocks). The cost is at
 * most 4 KiB of address space per 2<sup>24</sup> − 1 blocks started in one cell.
 *
 * <h2>Resize</h2>
 * Shrinking keeps the block's granules and records only the new usable size: the bytes cut off are
 * not reused while the block lives, so a segment taken before the shrink never reaches another
 * block (it reaches the block's own reserved tail; the tail is reused only after the block's free,
 * when the segment is a segment kept after free). Growing within the granules kept, or into a free
 * right neighbour, stays in place; otherwise the block moves, its bytes copied through the spans'
 * scoped segments, and the old block is freed (a segment of the old block is then one kept after
 * free).
 *
 * <h2>Memory given back</h2>
 * A span that falls wholly free goes back to the region at once, except up to
 * {@link Builder#spareSpans(int) spareSpans} (default 1) kept wholly free: giving a span back and
 * taking one again takes the region's lock (and, if the region must then split or decommit that
 * run, a close of its shared scope, a handshake with every thread of about 0.3 ms), so a block
 * allocated and freed in a loop must not do it each time. {@link #trim()} gives back the spares
 * too. The region decommits returned chunks after its decay delay. Free space inside a span that
 * still holds a live block is given back by {@link #purgeFreeBlocks()} (whole pages of free
 * blocks, kept mapped: they read zero), which the façade runs on the region's decay daemon after a
 * decay delay when a free block of 64 KiB or more forms (no syscall on allocate or free).
 *
 * <h2>Failures</h2>
 * A region closed under the allocator makes every call throw {@link IllegalStateException} naming
 * the region; the metadata is the allocator's own, so nothing reads unmapped memory. Blocks live at
 * {@link #close()} are reported through the {@link Builder#leakListener(LeakListener) leak
 * listener}, a JFR event and {@code leaks} in the snapshot.
 *
 * <h2>Checked mode</h2>
 * With {@link Builder#checked(boolean) checked(true)}, a debugging mode: each live block's segment
 * is bound to a scope of its own, closed on free, so a segment kept after free, after a resize
 * moved the block or after close throws {@link IllegalStateException}; the scopes close before the
 * region can unmap ({@link Region#beforeUnmap}), so none outlives the memory. Every free byte of a
 * span held is poison ({@code 0xDE}): spans are poisoned when taken, blocks when freed, and free
 * space is never purged, so a block about to be handed out is verified whole and a write after free
 * (through a raw address) throws {@link HeapCorruptionException} at the next allocation over it.
 * {@value BlockChecks#CANARY_BYTES} canary bytes or more follow the bytes asked for and are checked
 * on free ({@link HeapCorruptionException} once the block is freed). Resize always moves the block.
 * The segments, {@link #byteSize} and the typed accessors are bounded to the bytes asked for.
 * Costs: a map entry and a shared arena per live block on the Java heap, a scope close (a
 * handshake with every thread) per free, and every operation under the lock.
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
    /** Links are {@code (slot << granuleBits) | granule} and stay below this. */
    private static final int LINK_BITS = 30;
    private static final VarHandle SPAN_AT = MethodHandles.arrayElementVarHandle(TlsfSpan[].class);
    /** Slots and chunks the tables hold at first; they double as spans are taken. */
    private static final int INITIAL_TABLE_LENGTH = 16;

    private final String name;
    /** This allocator's identity in its handles (see {@link Handles}). */
    private final int tag = Handles.nextTag();
    private final Region region;
    private final boolean ownsRegion;
    private final boolean zeroing;
    private final int maxSpares;
    private final long spanBytes;
    private final long maxBlockBytes;
    /** The largest request: {@link #maxBlockBytes} less the canary in checked mode. */
    private final long maxRequestBytes;
    /** Bytes a block holds beyond the request: the canary in checked mode, else 0. */
    private final long extraBytes;
    /** Checked mode's per-block scopes and counts, guarded by lock; null unless checked. */
    private final CheckedTlsfBlocks checkedBlocks;
    /** Checked mode: what the region runs before it unmaps, forgotten at this allocator's close. */
    private final Runnable beforeUnmap;
    private final int maxBlockGranules;
    private final int granuleBits;
    private final int granuleMask;
    private final int chunkShift;
    private final long locationLimit;
    /** The region's base address: a handle's location is its block's granule offset from it. */
    private final long regionBase;
    /** Blocks handed out as segments by {@link #asSegmentAllocator()}, freed first at close. */
    private final SegmentAllocatorView segmentView = new SegmentAllocatorView(this, 1L << GRANULE_SHIFT);
    private final HandleCheck handleCheck;
    private final LeakReporter leakReporter;
    /**
     * Memory for metadata only, mapped apart from the region: the block tables' storages and the
     * generation cells (read under the lock only); closed with the allocator.
     */
    private final MetadataMemory metadata;

    private final Object lock = new Object();
    /** Written under the lock, read without it by the lock-free paths. */
    private volatile boolean closed;
    // All below guarded by lock, but byChunk (the field and its elements), also read with acquire
    // without it. The tables grow (doubling, up to the reservation's) with the spans and chunks used,
    // so a reservation of 64 GiB costs nothing on the heap until it is used.
    /** Index fl * SL_COUNT + sl: the first free block's link, or NIL. */
    private final int[] heads = new int[FL_COUNT * SL_COUNT];
    private int flBitmap;
    private final int[] slBitmaps = new int[FL_COUNT];
    private TlsfSpan[] slots;
    /** Per slot: its block table and generation cells, made on first use and kept for its next spans. */
    private BlockTable[] tables;
    private MemorySegment[] cellSegments;
    /** Slots given back, a stack; fresh ones come from {@link #slotsMade}. */
    private int[] freeSlots;
    private int freeSlotCount;
    /** Slots made so far, at most {@link #maxSlots}. */
    private int slotsMade;
    /** The most spans the links can name or the reservation can hold. */
    private final int maxSlots;
    /** The region's chunks: the most {@link #byChunk} can grow to. */
    private final int chunkCount;
    /**
     * Per region chunk up to the highest one used: the span holding it, if this allocator holds one
     * (release store, acquire load). Replaced by a longer copy under the lock when a span lies past
     * its end: a lock-free reader re-reads the field for its re-check, so it sees a release made in
     * the copy.
     */
    private volatile TlsfSpan[] byChunk;
    /** Per region chunk up to the highest one used: the last generation handed out in it by a span now gone. */
    private int[] chunkGenerationBase;
    /** Wholly free spans kept (each marked {@link TlsfSpan#spare}), at most {@link #maxSpares}. */
    private int spareCount;
    private int spanCount;
    private long usedGranules;
    private long retiredGranules;
    private long liveBlocks;
    private long allocations;
    private long frees;
    private long failedAllocations;
    private long releasedBytes;
    /** Set by allocateLocked: the granules from the new block's start that must be zeroed. */
    private int pendingZeroGranules;

    private TlsfAllocator(Builder b) {
        this.name = b.name;
        this.ownsRegion = b.region == null;
        this.region = ownsRegion ? Region.builder().name(b.name).reserve(b.reserveBytes).build() : b.region;
        this.regionBase = region.baseAddress();
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
        this.checkedBlocks = b.checked ? new CheckedTlsfBlocks(b.name) : null;
        this.extraBytes = b.checked ? BlockChecks.CANARY_BYTES : 0;
        this.maxRequestBytes = maxBlockBytes - extraBytes;
        this.maxBlockGranules = (int) (maxBlockBytes >>> GRANULE_SHIFT);
        this.granuleBits = Long.numberOfTrailingZeros(span >>> GRANULE_SHIFT);
        this.granuleMask = (1 << granuleBits) - 1;
        this.chunkShift = Long.numberOfTrailingZeros(chunk);
        this.locationLimit = region.reservedBytes() >>> GRANULE_SHIFT;
        this.handleCheck = new HandleCheck(b.name);
        this.leakReporter = new LeakReporter(b.name, b.leakListener);
        this.chunkCount = Math.toIntExact(region.reservedBytes() >>> chunkShift);
        this.maxSlots = (int) Math.max(1, Math.min(1L << (LINK_BITS - granuleBits), region.reservedBytes() / span));
        int slotsAtFirst = Math.min(maxSlots, INITIAL_TABLE_LENGTH);
        this.slots = new TlsfSpan[slotsAtFirst];
        this.tables = new BlockTable[slotsAtFirst];
        this.cellSegments = new MemorySegment[slotsAtFirst];
        this.freeSlots = new int[slotsAtFirst];
        this.byChunk = new TlsfSpan[Math.min(chunkCount, INITIAL_TABLE_LENGTH)];
        this.chunkGenerationBase = new int[byChunk.length];
        java.util.Arrays.fill(heads, TlsfSpan.NIL);
        this.metadata = newMetadata(b.name, region);
        // Cold start: the metadata's access paths and the zeroing copy are set up here, not in a first allocate.
        BlockTable.warmUp();
        MemorySegment scratch = MemorySegment.ofArray(new byte[1024]);
        Zeroing.zero(scratch, 0, scratch.byteSize());
        this.beforeUnmap = checkedBlocks == null ? null : this::closeBlockScopes;
        if (beforeUnmap != null) {
            // Block scopes are this allocator's, over the region's memory: they close before it unmaps.
            region.beforeUnmap(beforeUnmap);
        }
    }

    /**
     * {@return the metadata memory}: page-sized chunks, so a table storage takes whole pages; its
     * address space is {@value #METADATA_RESERVE_FACTOR} times the region's, more than the tables of
     * spans filling the region with 16-byte blocks take (about 5 bytes of table per byte of span).
     */
    private MetadataMemory newMetadata(String name, Region region) {
        try {
            long reserve = region.reservedBytes() > Long.MAX_VALUE / METADATA_RESERVE_FACTOR ? Long.MAX_VALUE
                    : METADATA_RESERVE_FACTOR * region.reservedBytes();
            return new MetadataMemory(name + ".metadata", reserve, region.pageSize(), METADATA_BUMP_BYTES, 0);
        } catch (RuntimeException e) {
            closeOwnRegion();
            throw e;
        }
    }

    /** Address space of the metadata memory, in multiples of the region's reservation. */
    static final long METADATA_RESERVE_FACTOR = 8;
    /** The metadata memory's bump span for generation cells: 2 KiB per 2 MiB span slot. */
    static final long METADATA_BUMP_BYTES = 64 << 10;

    /** Closes checked mode's block scopes: the region's close runs it before the unmap. */
    private void closeBlockScopes() {
        synchronized (lock) {
            checkedBlocks.closeAll();
        }
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

    /**
     * {@return the largest request this allocator serves, in bytes: half a span, less the canary
     * ({@value BlockChecks#CANARY_BYTES} bytes) in checked mode}
     */
    public long maxBlockBytes() {
        return maxRequestBytes;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The block is {@code byteSize} rounded up to 16 bytes, zeroed unless zeroing is off (after
     * the lock is let go).
     *
     * @throws IllegalArgumentException if {@code byteSize <= 0} or {@code byteSize > maxBlockBytes()}
     * @throws OutOfOffHeapMemoryException if the region cannot lend another span
     * @throws IllegalStateException if the allocator or its region is closed
     */
    @Override
    public long allocate(long byteSize) {
        int need = granulesFor(byteSize);
        if (checkedBlocks != null) {
            return allocateChecked(byteSize, need);
        }
        long handle;
        int dirty;
        TlsfSpan sp;
        synchronized (lock) {
            ensureOpen();
            handle = allocateLocked(need);
            dirty = pendingZeroGranules;
            sp = dirty == 0 ? null : spanOf(handle);
        }
        if (dirty > 0) {
            zero(sp, (int) (Handles.location(handle) - sp.baseGranule), dirty);
        }
        return handle;
    }

    /**
     * {@inheritDoc}
     *
     * @throws DoubleFreeException if the block was freed already
     * @throws ForeignPointerException if this allocator never made the handle, or it points inside a block
     * @throws IllegalStateException if the allocator or its region is closed
     */
    @Override
    public void free(long handle) {
        synchronized (lock) {
            ensureOpen();
            int slot = liveSlot(handle);
            TlsfSpan sp = slot >= 0 ? spanOf(handle) : liveSpanOf(handle, true);
            int g = (int) (Handles.location(handle) - sp.baseGranule);
            long record = sp.table.word1At(slot);
            HeapCorruptionException overrun = checkedBlocks == null ? null
                    : checkedBlocks.close(handle, sp.span.segment(), (long) g << GRANULE_SHIFT,
                            (long) BlockTable.low(record) << GRANULE_SHIFT);
            freeLocked(sp, g, BlockTable.low(record), BlockTable.high(record));
            if (overrun != null) {
                throw overrun;
            }
        }
    }

    /** Checked mode's allocate, all under the lock: verify the poison, then open the block's scope. */
    private long allocateChecked(long byteSize, int need) {
        synchronized (lock) {
            ensureOpen();
            long handle = allocateLocked(need);
            TlsfSpan sp = spanOf(handle);
            int g = (int) (Handles.location(handle) - sp.baseGranule);
            long offset = (long) g << GRANULE_SHIFT;
            long blockBytes = (long) need << GRANULE_SHIFT;
            HeapCorruptionException changed = checkedBlocks.verifyFree(sp.span.segment(), offset, blockBytes);
            if (changed != null) {
                freeLocked(sp, g, need, need); // poisoned again: back to the free lists
                throw changed;
            }
            checkedBlocks.open(handle, sp.span.segment(), offset, blockBytes, byteSize);
            return handle;
        }
    }

    /**
     * Checked mode's resize: always a move (a new block, the bytes both sizes share copied, the old
     * block freed), so no segment of the old block ever reaches the new one.
     */
    private long resizeChecked(long handle, long newByteSize) {
        synchronized (lock) {
            ensureOpen();
            liveSpanOf(handle, false);
            MemorySegment old = checkedBlocks.segment(handle);
            long moved = allocate(newByteSize);
            MemorySegment.copy(old, 0, checkedBlocks.segment(moved), 0, Math.min(old.byteSize(), newByteSize));
            try {
                free(handle);
            } catch (HeapCorruptionException overrun) {
                free(moved); // the old block overran: both go, the caller holds neither
                throw overrun;
            }
            return moved;
        }
    }

    /**
     * Resizes a block as {@code realloc} does. Shrinking stays in place and keeps the block's
     * granules (only the usable size changes, so no other block is ever placed where a segment taken
     * before could reach); growing stays in place within the granules kept or when the block after
     * it is free and large enough, else allocates a new block, copies and frees the old one. Bytes
     * added are zeroed unless zeroing is off.
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
     * @throws IllegalStateException if the allocator or its region is closed
     */
    public long resize(long handle, long newByteSize) {
        int need = granulesFor(newByteSize);
        if (checkedBlocks != null) {
            return resizeChecked(handle, newByteSize);
        }
        synchronized (lock) {
            ensureOpen();
            TlsfSpan sp = liveSpanOf(handle, false);
            int g = (int) (Handles.location(handle) - sp.baseGranule);
            int slot = sp.startSlot(g);
            int head = sp.headAt(slot);
            long record = sp.table.word1At(slot);
            int size = BlockTable.low(record);
            int usable = BlockTable.high(record);
            if (need <= size) {
                if (need > usable && zeroing) {
                    zeroAlways(sp, g + usable, need - usable); // may hold bytes written before a shrink
                }
                sp.table.put(BlockTable.startKey(g), head, BlockTable.liveWord1(size, need));
                usedGranules += need - usable;
                return handle;
            }
            int r = g + size;
            int rightSlot = r < sp.granules ? sp.startSlot(r) : -1;
            if (rightSlot >= 0 && (sp.headAt(rightSlot) & BlockTable.FREE) != 0
                    && size + (sp.headAt(rightSlot) & BlockTable.SIZE_MASK) >= need) {
                int rightSize = sp.headAt(rightSlot) & BlockTable.SIZE_MASK;
                int total = size + rightSize;
                unlinkFreeAt(sp, rightSlot, rightSize);
                sp.table.remove(BlockTable.startKey(r));
                if (total > need) {
                    insertFree(sp, g + need, total - need); // rewrites the right block's tail record
                } else {
                    sp.table.remove(BlockTable.tailKey(r + rightSize - 1));
                }
                if (zeroing) {
                    zeroAlways(sp, g + usable, size - usable);
                }
                zero(sp, r, Math.max(0, Math.min(need, sp.cleanFrom - g) - size)); // granules past cleanFrom read zero
                // The user may write the granules taken from the right block: they are not clean any more.
                sp.cleanFrom = Math.max(sp.cleanFrom, g + need);
                sp.table.put(BlockTable.startKey(g), head, BlockTable.liveWord1(need, need));
                usedGranules += need - usable;
                return handle;
            }
            long moved = allocateLocked(need);
            TlsfSpan to = spanOf(moved);
            int tg = (int) (Handles.location(moved) - to.baseGranule);
            zero(to, tg, pendingZeroGranules);
            // Through the spans' scoped segments: a closed region throws, never touches unmapped memory.
            MemorySegment.copy(sp.span.segment(), (long) g << GRANULE_SHIFT,
                    to.span.segment(), (long) tg << GRANULE_SHIFT, (long) usable << GRANULE_SHIFT);
            freeLocked(sp, g, size, usable);
            return moved;
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Lock-free for a live handle. The segment is bound to its span's scope: it throws
     * {@link IllegalStateException} once the span's memory is decommitted by the region, the region
     * closes or the allocator closes, never reaching memory that is not committed. Kept past its
     * block's free it aliases whatever is allocated there next, also after the span went back to the
     * region, until the region decommits that memory (the unchecked-mode kept-segment case).
     *
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle, or it points inside a block
     * @throws IllegalStateException if the allocator or its region is closed
     */
    @Override
    public MemorySegment segment(long handle) {
        if (checkedBlocks != null) {
            synchronized (lock) {
                ensureOpen();
                liveSpanOf(handle, false);
                return checkedBlocks.segment(handle);
            }
        }
        ensureUsable();
        long location = Handles.location(handle);
        if (Handles.hasShape(handle, Handles.KIND_FREE_LIST, tag) && location < locationLimit) {
            int chunk = chunkOf(location);
            TlsfSpan sp = spanAcquire(chunk);
            if (sp != null) {
                long g = location - sp.baseGranule;
                long record = sp.table.liveRecord(BlockTable.startKey((int) g), BlockTable.LIVE | Handles.generation(handle));
                if (record >= 0 && spanAcquire(chunk) == sp) { // see liveRecord(long)
                    return sp.span.segment().asSlice(g << GRANULE_SHIFT, (long) BlockTable.high(record) << GRANULE_SHIFT);
                }
            }
        }
        return segmentLocked(handle);
    }

    /** The cold path of {@link #segment}, apart so the lock-free part inlines and its slice does not escape. */
    private MemorySegment segmentLocked(long handle) {
        synchronized (lock) {
            ensureOpen();
            TlsfSpan sp = liveSpanOf(handle, false);
            int g = (int) (Handles.location(handle) - sp.baseGranule);
            long w1 = sp.table.word1At(sp.startSlot(g));
            return sp.span.segment().asSlice((long) g << GRANULE_SHIFT, (long) BlockTable.high(w1) << GRANULE_SHIFT);
        }
    }

    /**
     * {@return a {@link SegmentAllocator} whose segments are blocks of this allocator, bounded to
     * the size asked for and kept until this allocator closes} For FFM code that takes a
     * {@code SegmentAllocator}: its blocks are freed by this allocator's close (not reported as
     * leaks), and their segments throw from then on. Alignment up to 16 bytes; zeroed unless zeroing
     * is off. The same view on every call. Thread-safe.
     *
     * {@snippet :
     * SegmentAllocator ffm = allocator.asSegmentAllocator();
     * MemorySegment name = ffm.allocateFrom("orders"); // a C string for a downcall
     * }
     *
     * @throws IllegalStateException if this allocator is closed
     */
    public SegmentAllocator asSegmentAllocator() {
        ensureUsable();
        return segmentView;
    }

    // ------------------------------------------------------------------ validated access

    /**
     * {@return the span segment holding {@code [offset, offset + length)} of the live block
     * {@code handle} names} Lock-free for a live handle, as {@link #segment}, but makes no slice:
     * the typed accessors write through the span's scoped segment at {@link #at}.
     */
    private MemorySegment accessible(long handle, long offset, long length) {
        if (checkedBlocks != null) {
            synchronized (lock) {
                ensureOpen();
                TlsfSpan sp = liveSpanOf(handle, false);
                Objects.checkFromIndexSize(offset, length, checkedBlocks.requested(handle));
                return sp.span.segment();
            }
        }
        ensureUsable();
        long location = Handles.location(handle);
        if (Handles.hasShape(handle, Handles.KIND_FREE_LIST, tag) && location < locationLimit) {
            int chunk = chunkOf(location);
            TlsfSpan sp = spanAcquire(chunk);
            if (sp != null) {
                long record = sp.table.liveRecord(BlockTable.startKey((int) (location - sp.baseGranule)),
                        BlockTable.LIVE | Handles.generation(handle));
                if (record >= 0 && spanAcquire(chunk) == sp) { // see liveRecord(long)
                    Objects.checkFromIndexSize(offset, length, (long) BlockTable.high(record) << GRANULE_SHIFT);
                    return sp.span.segment();
                }
            }
        }
        return accessibleLocked(handle, offset, length);
    }

    /** The cold path of {@link #accessible}: classifies a handle that is not live, under the lock. */
    private MemorySegment accessibleLocked(long handle, long offset, long length) {
        synchronized (lock) {
            ensureOpen();
            TlsfSpan sp = liveSpanOf(handle, false);
            long w1 = sp.table.word1At(sp.startSlot((int) (Handles.location(handle) - sp.baseGranule)));
            Objects.checkFromIndexSize(offset, length, (long) BlockTable.high(w1) << GRANULE_SHIFT);
            return sp.span.segment();
        }
    }

    /** {@return where byte {@code offset} of {@code handle}'s block lies in its span's segment} */
    private long at(MemorySegment span, long handle, long offset) {
        return (Handles.location(handle) << GRANULE_SHIFT) - (span.address() - regionBase) + offset;
    }

    /**
     * Reads a {@code long} (native byte order, any alignment) at {@code offset} in the block, with
     * no garbage: the handle is checked live (lock-free) and the 8 bytes inside the block's usable
     * size on every call; the access goes through the span's scoped segment. The recommended way to
     * touch a free-list block from a hot path. Thread-safe; a free racing the access on another
     * thread is the caller's data race (the access lands in memory the region still maps).
     *
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @return the value
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the 8 bytes are not all inside the block
     * @throws IllegalStateException if the allocator or its region is closed
     */
    public long getLong(long handle, long offset) {
        MemorySegment span = accessible(handle, offset, Long.BYTES);
        return span.get(ValueLayout.JAVA_LONG_UNALIGNED, at(span, handle, offset));
    }

    /**
     * Writes a {@code long} at {@code offset} in the block; the checks of {@link #getLong}.
     *
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @param value the value
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the 8 bytes are not all inside the block
     * @throws IllegalStateException if the allocator or its region is closed
     */
    public void putLong(long handle, long offset, long value) {
        MemorySegment span = accessible(handle, offset, Long.BYTES);
        span.set(ValueLayout.JAVA_LONG_UNALIGNED, at(span, handle, offset), value);
    }

    /**
     * Reads an {@code int} at {@code offset} in the block; the checks of {@link #getLong}.
     *
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @return the value
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the 4 bytes are not all inside the block
     * @throws IllegalStateException if the allocator or its region is closed
     */
    public int getInt(long handle, long offset) {
        MemorySegment span = accessible(handle, offset, Integer.BYTES);
        return span.get(ValueLayout.JAVA_INT_UNALIGNED, at(span, handle, offset));
    }

    /**
     * Writes an {@code int} at {@code offset} in the block; the checks of {@link #getLong}.
     *
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @param value the value
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the 4 bytes are not all inside the block
     * @throws IllegalStateException if the allocator or its region is closed
     */
    public void putInt(long handle, long offset, int value) {
        MemorySegment span = accessible(handle, offset, Integer.BYTES);
        span.set(ValueLayout.JAVA_INT_UNALIGNED, at(span, handle, offset), value);
    }

    /**
     * Reads a byte at {@code offset} in the block; the checks of {@link #getLong}.
     *
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @return the value
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the byte is not inside the block
     * @throws IllegalStateException if the allocator or its region is closed
     */
    public byte getByte(long handle, long offset) {
        MemorySegment span = accessible(handle, offset, 1);
        return span.get(ValueLayout.JAVA_BYTE, at(span, handle, offset));
    }

    /**
     * Writes a byte at {@code offset} in the block; the checks of {@link #getLong}.
     *
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @param value the value
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the byte is not inside the block
     * @throws IllegalStateException if the allocator or its region is closed
     */
    public void putByte(long handle, long offset, byte value) {
        MemorySegment span = accessible(handle, offset, 1);
        span.set(ValueLayout.JAVA_BYTE, at(span, handle, offset), value);
    }

    /**
     * {@inheritDoc} Lock-free for a live handle: the usable size, which a shrinking resize lowers.
     *
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle, or it points inside a block
     * @throws IllegalStateException if the allocator or its region is closed
     */
    @Override
    public long byteSize(long handle) {
        if (checkedBlocks != null) {
            synchronized (lock) {
                ensureOpen();
                liveSpanOf(handle, false);
                return checkedBlocks.requested(handle);
            }
        }
        ensureUsable();
        long record = liveRecord(handle);
        if (record >= 0) {
            return (long) BlockTable.high(record) << GRANULE_SHIFT;
        }
        synchronized (lock) {
            ensureOpen();
            TlsfSpan sp = liveSpanOf(handle, false);
            int g = (int) (Handles.location(handle) - sp.baseGranule);
            return (long) BlockTable.high(sp.table.word1At(sp.startSlot(g))) << GRANULE_SHIFT;
        }
    }

    /** {@inheritDoc} False once the allocator or its region is closed. Lock-free when true. */
    @Override
    public boolean isLive(long handle) {
        if (closed || region.isClosed()) {
            return false;
        }
        if (liveRecord(handle) >= 0) {
            return true;
        }
        synchronized (lock) {
            return !closed && liveSlot(handle) >= 0;
        }
    }

    /**
     * {@return the live record's word1 for a handle, read without the lock, or -1 if the read did
     * not show it live} (then the caller asks again under the lock).
     */
    private long liveRecord(long handle) {
        if (!Handles.hasShape(handle, Handles.KIND_FREE_LIST, tag)) {
            return -1;
        }
        long location = Handles.location(handle);
        if (location >= locationLimit) {
            return -1;
        }
        int chunk = chunkOf(location);
        TlsfSpan sp = spanAcquire(chunk);
        if (sp == null) {
            return -1;
        }
        long record = sp.table.liveRecord(BlockTable.startKey((int) (location - sp.baseGranule)),
                BlockTable.LIVE | Handles.generation(handle));
        // The slot's table passes to the next span there only after the chunk stops naming this one.
        return record >= 0 && spanAcquire(chunk) == sp ? record : -1;
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
     * @throws IllegalStateException if the allocator or its region is closed
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
                    unlinkFree(sp, 0, sp.granules);
                    sp.table.remove(BlockTable.startKey(0));
                    releaseSpan(sp);
                    given += spanBytes;
                }
            }
            region.trim();
            metadata.trim(); // the chunks of block-table storages retired by a reset or a growth
            return given;
        }
    }

    /**
     * Gives the memory of the whole pages inside every free block and retired piece of the spans
     * held back to the OS, keeping them mapped (see {@link Region#purge}): free space inside a span
     * that still holds a live block stops costing resident memory. The metadata lives out of band,
     * so nothing of the allocator's is lost; the purged bytes read zero. A syscall per such block,
     * under the allocator's lock: call it off the hot path (the façade's {@code trim()} and decay
     * pass do).
     *
     * <p>Thread-safety: thread-safe; takes the allocator's lock.
     *
     * @return the bytes purged
     * @throws IllegalStateException if the allocator or its region is closed
     * @throws dev.offheap.allocator.NativeCallException if the kernel refuses; the blocks not yet
     *         purged stay as they were
     */
    public long purgeFreeBlocks() {
        synchronized (lock) {
            ensureOpen();
            if (checkedBlocks != null) {
                return 0; // checked mode keeps free bytes poisoned, to verify them on reuse
            }
            long page = region.pageSize();
            long purged = 0;
            for (TlsfSpan sp : slots) {
                if (sp == null) {
                    continue;
                }
                for (int g = 0; g < sp.granules; ) {
                    int slot = sp.startSlot(g);
                    int head = sp.headAt(slot);
                    int size = sp.sizeAt(slot);
                    if ((head & (BlockTable.FREE | BlockTable.RETIRED)) != 0) {
                        long from = Checks.alignUp((long) g << GRANULE_SHIFT, page);
                        long to = ((long) (g + size) << GRANULE_SHIFT) & -page; // the region pre-faults: clean granules are resident too
                        if (to > from) {
                            region.purge(sp.span, from, to - from);
                            purged += to - from;
                        }
                    }
                    g += size;
                }
            }
            return purged;
        }
    }

    /**
     * {@return exact figures, read under the lock} {@code committedBytes} counts the spans held,
     * {@code usedBytes} the usable bytes of live blocks (the tail a shrunk block keeps is not used),
     * {@code decommittedBytes} the span bytes given back to the region; double frees, uses after free
     * and leaks are {@link HandleCheck}'s and {@link LeakReporter}'s counts.
     */
    public AllocatorSnapshot snapshot() {
        synchronized (lock) {
            return new AllocatorSnapshot(name, "free-list", region.reservedBytes(), (long) spanCount * spanBytes,
                    usedGranules << GRANULE_SHIFT, liveBlocks, allocations, frees, 0, failedAllocations,
                    handleCheck.doubleFrees(), handleCheck.useAfterFrees(),
                    checkedBlocks == null ? 0 : checkedBlocks.corruptions(), leakReporter.leakedBlocks(),
                    releasedBytes, List.of(), 0, 0, 0, metadataHeapBytes(), metadataOffHeapBytes());
        }
    }

    /**
     * {@return the bytes of metadata held off the Java heap}: the block tables in use and the
     * generation cells of every span slot used so far (storages replaced by growth are retired at
     * once; their chunks decay like any idle chunk); 0 after close.
     * See the footprint section of the class javadoc.
     */
    public long metadataOffHeapBytes() {
        synchronized (lock) {
            if (closed) {
                return 0;
            }
            long bytes = 0;
            for (int i = 0; i < tables.length; i++) {
                if (tables[i] != null) {
                    bytes += tables[i].offHeapBytes() + cellSegments[i].byteSize();
                }
            }
            return bytes;
        }
    }

    /**
     * {@return an estimate of the Java heap this allocator's metadata holds}: the tables
     * ({@code 16} bytes per span slot and {@code 8} per region chunk, as far as they have grown;
     * 2 KiB of list heads and bitmaps) plus {@value #HEAP_BYTES_PER_SPAN} bytes per span slot used so far
     * (its span, table and cell objects), with compressed references.
     */
    public long metadataHeapBytes() {
        synchronized (lock) {
            long used = 0;
            for (BlockTable t : tables) {
                if (t != null) {
                    used++;
                }
            }
            return 16L * slots.length + 8L * byChunk.length + 4L * (heads.length + slBitmaps.length)
                    + HEAP_BYTES_PER_SPAN * used;
        }
    }

    /** Heap bytes per span slot in use: span, block table, storage and segment objects (estimated). */
    static final long HEAP_BYTES_PER_SPAN = 384;

    /**
     * Frees every block still live and gives every span back; closes the region too if the
     * allocator made it. The blocks still live are reported as leaks through the allocator's
     * {@link LeakListener} (one report: count and bytes), a JFR leak event and {@code leaks} in the
     * snapshot, which then shows no live block. Every segment of a span the allocator still held
     * throws from now on (a segment of a span it had given back already follows
     * {@link Region#release(Span)}: it throws once that memory is decommitted). The metadata's
     * memory is freed. Idempotent; a region closed already is fine.
     */
    @Override
    public void close() {
        if (!closed) {
            try {
                segmentView.freeAll();
            } catch (IllegalStateException regionClosed) {
                // the region closed first: those blocks are reported below with the others
            }
        }
        long leakedBlocks;
        long leakedBytes;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            leakedBlocks = liveBlocks;
            leakedBytes = usedGranules << GRANULE_SHIFT;
            liveBlocks = 0;
            usedGranules = 0;
            if (checkedBlocks != null) {
                checkedBlocks.closeAll(); // before the spans go: every block segment throws from now on
            }
            if (ownsRegion) {
                closeOwnRegion();
            } else if (!region.isClosed()) {
                for (TlsfSpan sp : slots) {
                    if (sp != null) {
                        region.releaseAndInvalidate(sp.span);
                    }
                }
            }
            java.util.Arrays.fill(slots, null);
            java.util.Arrays.fill(byChunk, null);
            spanCount = 0;
            metadata.close(); // cells and tables: a lock-free reader racing the close throws, and misses
        }
        if (beforeUnmap != null) {
            region.forget(beforeUnmap); // the block scopes are closed: a long-lived region need not keep this
        }
        leakReporter.outstandingAtClose(leakedBlocks, leakedBytes, List.of()); // outside the lock: a listener may be slow
    }

    // ---------------------------------------------------------------- internals, under the lock

    private int granulesFor(long byteSize) {
        Checks.checkPositive("byteSize", byteSize);
        if (byteSize > maxRequestBytes) {
            throw new IllegalArgumentException("byteSize must not exceed the largest free-list block "
                    + maxRequestBytes + ": byteSize=" + byteSize + ", allocator=" + name);
        }
        return (int) ((byteSize + extraBytes + GRANULE_BYTES - 1) >>> GRANULE_SHIFT);
    }

    private TlsfSpan spanOf(long handle) {
        return spanAt(chunkOf(Handles.location(handle)));
    }

    /**
     * Takes a block of {@code need} granules off the free lists and makes it live; sets
     * {@link #pendingZeroGranules} to the granules from its start that may hold old bytes (0 with
     * zeroing off), which the caller zeroes.
     */
    private long allocateLocked(int need) {
        while (true) {
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
            int slot = sp.startSlot(g);
            int size = sp.headAt(slot) & BlockTable.SIZE_MASK;
            int last = sp.cellGeneration(g);
            if (last >= Handles.MAX_GENERATION) {
                unlinkFree(sp, g, size);
                retirePiece(sp, g, size);
                continue;
            }
            int generation = last + 1;
            sp.setCellGeneration(g, generation);
            unlinkFreeAt(sp, slot, size);
            // The free start record becomes the live one in place (no look-up). The tail record stays
            // as the remainder's (insertFree rewrites it), or goes if nothing remains.
            sp.table.rewrite(slot, BlockTable.startKey(g), BlockTable.LIVE | generation, BlockTable.liveWord1(need, need));
            if (size > need) {
                insertFree(sp, g + need, size - need);
            } else {
                sp.table.remove(BlockTable.tailKey(g + size - 1));
            }
            if (sp.spare) {
                sp.spare = false;
                spareCount--;
            }
            sp.liveBlocks++;
            pendingZeroGranules = zeroing && g < sp.cleanFrom ? Math.min(need, sp.cleanFrom - g) : 0;
            // Granules below the end may be written by the user from now on.
            sp.cleanFrom = Math.max(sp.cleanFrom, g + need);
            usedGranules += need;
            liveBlocks++;
            allocations++;
            return Handles.pack(Handles.KIND_FREE_LIST, tag, generation, sp.baseGranule + g);
        }
    }

    /**
     * Cuts the part of free block {@code [g, g + size)} (off the lists already) that lies in the
     * retired cell of {@code g} out as a retired piece; the rest goes back to the free lists.
     */
    private void retirePiece(TlsfSpan sp, int g, int size) {
        int cellEnd = ((g >>> TlsfSpan.CELL_SHIFT) + 1) << TlsfSpan.CELL_SHIFT;
        int piece = Math.min(size, cellEnd - g);
        if (sp.spare) {
            sp.spare = false;
            spareCount--;
        }
        sp.table.put(BlockTable.startKey(g), BlockTable.RETIRED | piece, 0);
        sp.retiredGranules += piece;
        retiredGranules += piece;
        if (size > piece) {
            insertFree(sp, g + piece, size - piece);
        }
    }

    /** Frees live block {@code [g, g + size)} of {@code usable} granules and coalesces it. */
    private void freeLocked(TlsfSpan sp, int g, int size, int usable) {
        sp.liveBlocks--;
        usedGranules -= usable;
        liveBlocks--;
        frees++;
        int start = g;
        int total = size;
        if (g > 0) {
            int leftTail = sp.table.find(BlockTable.tailKey(g - 1));
            if (leftTail >= 0) {
                int left = BlockTable.head(sp.table.word0At(leftTail));
                unlinkFree(sp, left, g - left);
                sp.table.remove(BlockTable.startKey(g)); // the live record goes: a reader sees the block gone
                start = left;
                total += g - left;
            }
        }
        int r = g + size;
        if (r < sp.granules) {
            int rightSlot = sp.startSlot(r);
            int head = sp.headAt(rightSlot);
            if ((head & BlockTable.FREE) != 0) {
                int right = head & BlockTable.SIZE_MASK;
                unlinkFreeAt(sp, rightSlot, right); // its tail record stays: the merged block ends there too
                sp.table.remove(BlockTable.startKey(r));
                total += right;
            }
        }
        if (total == sp.granules && spareCount >= maxSpares) {
            sp.table.remove(BlockTable.startKey(start));
            int tail = sp.table.find(BlockTable.tailKey(start + total - 1));
            if (tail >= 0) {
                sp.table.remove(BlockTable.tailKey(start + total - 1));
            }
            releaseSpan(sp); // wholly free and enough spares are kept already: back to the region now
            return;
        }
        insertFree(sp, start, total); // rewrites the live record at g if it is still there
        if (total == sp.granules) {
            sp.spare = true;
            spareCount++;
        }
        if (total >= PURGE_REQUEST_GRANULES) {
            region.requestPurge(); // whole pages free inside a span: purged after a decay delay if a pass is set
        }
    }

    /** Zeroes granules {@code [g, g + n)}, all of which may hold old bytes, if zeroing is on. */
    private void zero(TlsfSpan sp, int g, int n) {
        if (zeroing && n > 0) {
            zeroAlways(sp, g, n);
        }
    }

    /** Zeroes granules {@code [g, g + n)} through the span's scoped segment. */
    private static void zeroAlways(TlsfSpan sp, int g, int n) {
        Zeroing.zero(sp.span.segment(), (long) g << GRANULE_SHIFT, (long) n << GRANULE_SHIFT);
    }

    private void addSpan() {
        if (freeSlotCount == 0 && slotsMade == maxSlots) {
            throw new OutOfOffHeapMemoryException("span table full", name, spanBytes,
                    (long) maxSlots * spanBytes, (long) spanCount * spanBytes, usedGranules << GRANULE_SHIFT);
        }
        Span span = region.acquire(spanBytes);
        if (checkedBlocks != null) {
            CheckedTlsfBlocks.poisonSpan(span.segment());
        }
        long offset = span.address() - region.baseAddress();
        int firstChunk = (int) (offset >>> chunkShift);
        int chunks = (int) (spanBytes >>> chunkShift);
        int slot = takeSlot();
        ensureChunks(firstChunk + chunks);
        int granules = (int) (spanBytes >>> GRANULE_SHIFT);
        int cellCount = TlsfSpan.cellCount(granules);
        if (tables[slot] == null) {
            tables[slot] = new BlockTable(metadata);
            cellSegments[slot] = metadata.allocate(4L * cellCount);
        }
        MemorySegment cells = cellSegments[slot];
        int cellsPerChunk = cellCount / chunks;
        for (int c = 0; c < chunks; c++) {
            int base = chunkGenerationBase[firstChunk + c];
            for (int i = c * cellsPerChunk; i < (c + 1) * cellsPerChunk; i++) {
                cells.setAtIndex(ValueLayout.JAVA_INT, i, base);
            }
        }
        TlsfSpan sp = new TlsfSpan(span, slot, offset >>> GRANULE_SHIFT, tables[slot], cells);
        slots[slot] = sp;
        spanCount++;
        insertFree(sp, 0, sp.granules);
        for (int c = firstChunk; c < firstChunk + chunks; c++) {
            SPAN_AT.setRelease(byChunk, c, sp); // publishes the span with its records to lock-free readers
        }
    }

    /** Gives a wholly free span, its records removed already, back to the region. */
    private void releaseSpan(TlsfSpan sp) {
        int firstChunk = (int) ((sp.baseGranule << GRANULE_SHIFT) >>> chunkShift);
        int chunks = (int) (spanBytes >>> chunkShift);
        int cellsPerChunk = TlsfSpan.cellCount(sp.granules) / chunks;
        for (int c = 0; c < chunks; c++) {
            // Before the slot's table and cells pass to another span: lock-free readers re-check this.
            SPAN_AT.setRelease(byChunk, firstChunk + c, null);
            int max = chunkGenerationBase[firstChunk + c];
            for (int i = c * cellsPerChunk; i < (c + 1) * cellsPerChunk; i++) {
                max = Math.max(max, sp.cells.getAtIndex(ValueLayout.JAVA_INT, i));
            }
            chunkGenerationBase[firstChunk + c] = max;
        }
        sp.table.shrinkIfEmpty();
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

    /**
     * {@return the span holding {@code chunk}, read without the lock, or null} One volatile read of
     * the table (the current one, perhaps a longer copy) and an acquire load of its element.
     */
    private TlsfSpan spanAcquire(int chunk) {
        TlsfSpan[] table = byChunk;
        return chunk < table.length ? (TlsfSpan) SPAN_AT.getAcquire(table, chunk) : null;
    }

    /** {@return the span holding {@code chunk}, under the lock, or null} */
    private TlsfSpan spanAt(int chunk) {
        TlsfSpan[] table = byChunk;
        return chunk < table.length ? table[chunk] : null;
    }

    /** Grows the chunk tables, under the lock, to hold chunks below {@code end}. */
    private void ensureChunks(int end) {
        if (end > byChunk.length) {
            int length = Math.min(chunkCount, Math.max(end, 2 * byChunk.length));
            chunkGenerationBase = java.util.Arrays.copyOf(chunkGenerationBase, length);
            byChunk = java.util.Arrays.copyOf(byChunk, length); // volatile write: publishes the copy
        }
    }

    /** {@return a slot for a new span: a given-back one, else a fresh one (the slot tables grow)} */
    private int takeSlot() {
        if (freeSlotCount > 0) {
            return freeSlots[--freeSlotCount];
        }
        if (slotsMade == slots.length) {
            int length = Math.min(maxSlots, 2 * slots.length);
            slots = java.util.Arrays.copyOf(slots, length);
            tables = java.util.Arrays.copyOf(tables, length);
            cellSegments = java.util.Arrays.copyOf(cellSegments, length);
            freeSlots = java.util.Arrays.copyOf(freeSlots, length);
        }
        return slotsMade++;
    }

    private int chunkOf(long location) {
        return (int) ((location << GRANULE_SHIFT) >>> chunkShift);
    }

    /** {@return the slot of the live record a handle names, or -1}; under the lock, never throws */
    private int liveSlot(long handle) {
        if (!Handles.hasShape(handle, Handles.KIND_FREE_LIST, tag)) {
            return -1;
        }
        long location = Handles.location(handle);
        if (location >= locationLimit) {
            return -1;
        }
        TlsfSpan sp = spanAt(chunkOf(location));
        if (sp == null) {
            return -1;
        }
        int slot = sp.startSlot((int) (location - sp.baseGranule));
        return slot >= 0 && sp.headAt(slot) == (BlockTable.LIVE | Handles.generation(handle)) ? slot : -1;
    }

    /** Finds the span of a live handle under the lock, or throws what {@link HandleCheck} makes of it. */
    private TlsfSpan liveSpanOf(long handle, boolean freeing) {
        if (!Handles.hasShape(handle, Handles.KIND_FREE_LIST, tag)) {
            throw handleCheck.foreign(handle, "not a free-list handle of this allocator");
        }
        long location = Handles.location(handle);
        if (location >= locationLimit) {
            throw handleCheck.foreign(handle, "location outside the region");
        }
        if (liveSlot(handle) >= 0) {
            return spanAt(chunkOf(location));
        }
        throw rejected(handle, freeing);
    }

    /** Classifies a handle whose location holds no live block of its generation: the cold path. */
    private RuntimeException rejected(long handle, boolean freeing) {
        long location = Handles.location(handle);
        int chunk = chunkOf(location);
        TlsfSpan sp = spanAt(chunk);
        if (sp == null) {
            int base = chunk < chunkGenerationBase.length ? chunkGenerationBase[chunk] : 0;
            return handleCheck.reject(handle, base, false, freeing, 0, null);
        }
        int g = (int) (location - sp.baseGranule);
        int current = sp.cellGeneration(g);
        int slot = sp.startSlot(g);
        if (slot >= 0) {
            return handleCheck.reject(handle, current, false, freeing, (long) sp.sizeAt(slot) << GRANULE_SHIFT, null);
        }
        // Not a block start: inside a live block or inside a free one. Inside a live block it is an
        // interior handle unless its generation is below that block's: a block that started here
        // and was freed before the live one was carved over it had a lower generation if the two
        // share a cell (stale then); across cells the counters do not compare, and such a stale
        // handle is reported as interior (refused either way).
        boolean interior = false;
        for (int s = g - 1; s >= Math.max(0, g - maxBlockGranules); s--) {
            int at = sp.startSlot(s);
            if (at >= 0) {
                int head = sp.headAt(at);
                interior = (head & BlockTable.LIVE) != 0 && s + sp.sizeAt(at) > g
                        && Handles.generation(handle) >= (head & Handles.GENERATION_MASK);
                break;
            }
        }
        return handleCheck.reject(handle, current, interior, freeing, 0, null);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("allocator is closed: allocator=" + name);
        }
        if (region.isClosed()) {
            throw new IllegalStateException("region is closed under the allocator: region=" + region.name()
                    + ", allocator=" + name);
        }
    }

    /** {@link #ensureOpen()} for the lock-free paths: two volatile reads. */
    private void ensureUsable() {
        if (closed || region.isClosed()) {
            synchronized (lock) {
                ensureOpen();
            }
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

    /** Makes {@code [g, g + size)} a free block: its start and tail records, at the head of its list. */
    private void insertFree(TlsfSpan sp, int g, int size) {
        int list = listOf(size);
        int link = (sp.slot << granuleBits) | g;
        int first = heads[list];
        sp.table.put(BlockTable.startKey(g), BlockTable.FREE | size, BlockTable.freeWord1(first, TlsfSpan.NIL));
        sp.table.put(BlockTable.tailKey(g + size - 1), g, 0);
        if (first != TlsfSpan.NIL) {
            setPrev(first, link);
        }
        heads[list] = link;
        flBitmap |= 1 << (list >>> SL_LOG2);
        slBitmaps[list >>> SL_LOG2] |= 1 << (list & (SL_COUNT - 1));
    }

    /** Takes free block {@code [g, g + size)} off its list and drops its tail record; its start record stays. */
    private void unlinkFree(TlsfSpan sp, int g, int size) {
        unlinkFreeAt(sp, sp.startSlot(g), size);
        sp.table.remove(BlockTable.tailKey(g + size - 1));
    }

    /**
     * Takes the free block whose start record is at table slot {@code slot} off its list; its
     * records stay (only other free records' links change, so the slot stays valid).
     */
    private void unlinkFreeAt(TlsfSpan sp, int slot, int size) {
        int list = listOf(size);
        long links = sp.table.word1At(slot);
        int next = BlockTable.low(links);
        int prev = BlockTable.high(links);
        if (prev != TlsfSpan.NIL) {
            setNext(prev, next);
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
            setPrev(next, prev);
        }
    }

    private void setNext(int link, int next) {
        TlsfSpan sp = slots[link >>> granuleBits];
        int slot = sp.startSlot(link & granuleMask);
        long w1 = sp.table.word1At(slot);
        sp.table.setFreeWord1(slot, BlockTable.freeWord1(next, BlockTable.high(w1)));
    }

    private void setPrev(int link, int prev) {
        TlsfSpan sp = slots[link >>> granuleBits];
        int slot = sp.startSlot(link & granuleMask);
        long w1 = sp.table.word1At(slot);
        sp.table.setFreeWord1(slot, BlockTable.freeWord1(BlockTable.low(w1), prev));
    }

    // ---------------------------------------------------------------- invariants and hooks, for tests

    /**
     * Checks every structural invariant, in time linear in the blocks held: each span is tiled by
     * blocks whose start records exist; each free block has a tail record naming its start; no two
     * free blocks are adjacent; the table holds exactly those records; the free lists hold exactly
     * the free blocks, each in the list of its size, with consistent back links; the bitmaps mark
     * exactly the non-empty lists; no live generation is above its cell's counter; the counters match.
     *
     * @throws IllegalStateException naming the first invariant found broken
     */
    void verifyInvariants() {
        synchronized (lock) {
            long freeBlocks = 0;
            long live = 0;
            long used = 0;
            long retired = 0;
            int spans = 0;
            for (TlsfSpan sp : slots) {
                if (sp == null) {
                    continue;
                }
                spans++;
                boolean previousFree = false;
                int spanLive = 0;
                int records = 0;
                for (int g = 0; g < sp.granules; ) {
                    int slot = sp.startSlot(g);
                    check(slot >= 0, "a block starts where the previous one ends", sp, g);
                    records++;
                    int head = sp.headAt(slot);
                    int size = sp.sizeAt(slot);
                    check(size > 0 && g + size <= sp.granules, "block inside its span", sp, g);
                    boolean free = (head & BlockTable.FREE) != 0;
                    if (free) {
                        check(!previousFree, "no two adjacent free blocks", sp, g);
                        int tail = sp.table.find(BlockTable.tailKey(g + size - 1));
                        check(tail >= 0 && BlockTable.head(sp.table.word0At(tail)) == g, "tail record names its start", sp, g);
                        records++;
                        freeBlocks++;
                    } else if ((head & BlockTable.LIVE) != 0) {
                        check((head & Handles.GENERATION_MASK) <= sp.cellGeneration(g), "generation at most the cell's", sp, g);
                        long w1 = sp.table.word1At(slot);
                        check(BlockTable.high(w1) > 0 && BlockTable.high(w1) <= size, "usable size within the block", sp, g);
                        spanLive++;
                        used += BlockTable.high(w1);
                    } else {
                        check((head & BlockTable.RETIRED) != 0, "a block is live, free or retired", sp, g);
                        retired += size;
                    }
                    previousFree = free;
                    g += size;
                }
                check(records == sp.table.count(), "the table holds only the records of blocks: walked="
                        + records + ", table=" + sp.table.count(), sp, 0);
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
                    int slot = sp.startSlot(g);
                    check(slot >= 0 && (sp.headAt(slot) & BlockTable.FREE) != 0, "listed block is free", sp, g);
                    check(listOf(sp.headAt(slot) & BlockTable.SIZE_MASK) == list, "free block in the list of its size", sp, g);
                    long links = sp.table.word1At(slot);
                    check(BlockTable.high(links) == prev, "back link", sp, g);
                    check(++listed <= freeBlocks, "no cycle in the free lists", sp, g);
                    prev = link;
                    link = BlockTable.low(links);
                }
            }
            check(listed == freeBlocks, "free lists hold every free block: listed=" + listed
                    + ", free=" + freeBlocks, null, 0);
            check(live == liveBlocks, "live blocks counted: walked=" + live + ", counter=" + liveBlocks, null, 0);
            check(used == usedGranules, "used granules counted", null, 0);
            check(retired == retiredGranulesHeld(), "retired granules counted", null, 0);
            check(spans == spanCount, "span count", null, 0);
            int spares = 0;
            for (TlsfSpan sp : slots) {
                if (sp != null && sp.spare) {
                    spares++;
                    check(sp.liveBlocks == 0 && (sp.headAt(sp.startSlot(0)) & BlockTable.SIZE_MASK) == sp.granules,
                            "a spare span is wholly free", sp, 0);
                }
            }
            check(spares == spareCount && spares <= maxSpares, "spare count: marked=" + spares
                    + ", counter=" + spareCount + ", max=" + maxSpares, null, 0);
        }
    }

    private long retiredGranulesHeld() {
        long n = 0;
        for (TlsfSpan sp : slots) {
            if (sp != null) {
                n += sp.retiredGranules;
            }
        }
        return n;
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
                for (int g = 0; g < sp.granules; ) {
                    int slot = sp.startSlot(g);
                    if ((sp.headAt(slot) & BlockTable.FREE) != 0) {
                        counts[i]++;
                    }
                    g += sp.sizeAt(slot);
                }
                i++;
            }
            return counts;
        }
    }

    /** {@return granules cut out as retired pieces since the allocator was made, for tests} */
    long retiredGranules() {
        synchronized (lock) {
            return retiredGranules;
        }
    }

    /**
     * Sets the generation counter of the cell holding {@code location}, which must lie in a span
     * held: for tests of retirement, which would otherwise take 2<sup>24</sup> allocations.
     */
    void setCellGenerationForTest(long location, int generation) {
        synchronized (lock) {
            TlsfSpan sp = spanAt(chunkOf(location));
            if (sp == null || generation < sp.cellGeneration((int) (location - sp.baseGranule))) {
                throw new IllegalArgumentException("no span there, or a generation that goes down: location=" + location);
            }
            sp.setCellGeneration((int) (location - sp.baseGranule), generation);
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
        private boolean checked;
        private int spareSpans = 1;
        private LeakListener leakListener = LeakListener.logging();

        private Builder() {
        }

        /**
         * Sets where blocks still live at {@link TlsfAllocator#close()} are reported.
         *
         * @param listener the listener (default {@link LeakListener#logging()})
         * @return this builder
         */
        public Builder leakListener(LeakListener listener) {
            this.leakListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Turns checked mode on or off (default off): poison verified on reuse, canaries checked on
         * free, a scope per block closed on free (see the class javadoc). A debugging mode: a
         * scope close per free, every operation under the lock, no purge of free space.
         *
         * @param enabled whether checked mode is on
         * @return this builder
         */
        public Builder checked(boolean enabled) {
            this.checked = enabled;
            return this;
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
