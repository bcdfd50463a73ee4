package dev.offheap.allocator.slab;

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
import dev.offheap.allocator.internal.Checks;
import dev.offheap.allocator.internal.HandleCheck;
import dev.offheap.allocator.internal.LeakReporter;
import dev.offheap.allocator.internal.SegmentAllocatorView;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.MeteredAllocator;
import dev.offheap.allocator.region.Region;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A slab allocator: blocks of {@linkplain SizeClasses 80 fixed size classes} from 16 B to 64 KiB,
 * carved from pages of {@linkplain SegmentDescriptor 2 MiB segments} that a {@link Region} lends,
 * and named by zero-garbage {@code long} handles ({@link Handles}, kind {@link Handles#KIND_SLAB}).
 *
 * <p>Thread-safety: thread-safe, and built so that the common path shares nothing. A platform
 * thread holds a cache of its own, found without a {@code ThreadLocal} (its id indexes a table,
 * with an owner check), that <em>owns</em> pages: it allocates from them and frees into them with
 * plain loads and release stores, no lock and no CAS. A virtual thread never gets pages of its own:
 * each call borrows one of a small pool of caches with a try-lock. A block freed by a thread whose
 * cache does not own its page costs one CAS on the block's state word, and the block goes to the
 * page's owner in a batch (one CAS per batch of up to {@value RemoteBatch#CAPACITY}); the owner frees
 * the batch when it next runs short. With {@link Builder#threadCaches(boolean) threadCaches(false)}
 * platform threads borrow from the pool too, so the caches (and the pages they hold) stay at most
 * {@link Builder#pooledCaches(int) pooledCaches} however many threads allocate, for one try-lock CAS
 * per call. Carving a page, giving one back and reading a
 * {@link #snapshot()} take one lock. {@link #close()} may race other calls: each of them then
 * finishes or throws {@link IllegalStateException}.
 *
 * <h2>Safety, always on, O(1)</h2>
 * Every slot has a state word with a generation (off-heap, see {@link SlotState}); a handle carries
 * the generation its block got, and freeing advances it (the rule in {@link Handles}). So freeing
 * a handle twice, or a stale one, throws {@link DoubleFreeException}; any other use of a stale handle
 * throws {@link UseAfterFreeException}; a handle this allocator never made (another kind or tag, a
 * location outside its pages, a generation never handed out) throws {@link ForeignPointerException};
 * all classified and counted by the project's one {@link HandleCheck}. The allocator is unchanged
 * after any of them. A slot whose block of generation {@value Handles#MAX_GENERATION} is freed is
 * retired, never handed out again: one block's bytes per 2<sup>24</sup> − 1 frees of that slot
 * stay unused until the page empties, and a page id whose generations are used up is never carved
 * again (its units are purged like any empty unit), so a stale handle never names a live block. A
 * page re-carved for another size class starts every slot above every generation the page ever
 * handed out. Two frees of one block racing on two threads (a bug in the caller) are caught at the
 * call when one is remote (a CAS), or, when the owner's plain free races a remote one, at the
 * owner's next drain: counted once as a double free, changing nothing (see {@link ThreadCache}).
 *
 * <p>Every access the allocator makes to user memory (zeroing, poisoning) goes through the span's
 * segment, bound to the scope the region closes before it decommits or unmaps that memory. So if
 * the region is closed under the allocator, its calls throw {@link IllegalStateException} naming the
 * region, and none can crash. A segment handed out is a slice of its span: once the region decommits
 * the span's memory (all its pages empty, the segment given back, then decay or trim) a kept segment
 * throws; until then it aliases whatever is lent there next.
 *
 * <h2>The validated access path</h2>
 * {@link #getLong}, {@link #putLong}, {@link #getInt}, {@link #putInt}, {@link #getByte},
 * {@link #putByte}, {@link #copyFrom} and {@link #copyTo} read and write a block by handle, checking
 * the generation on every access and the offset against the block's size, with no object made: the
 * recommended way to touch slab memory from hot paths (a use after free throws instead of reading
 * another block's bytes, without a scope per block). The check is a plain load of the slot's state
 * word: a free on this thread is always seen; a free racing on another thread is the caller's data
 * race, and C2 may share one check between accesses with no call of this thread's in between.
 *
 * <h2>Checked mode ({@link Builder#checked(boolean)}, off by default)</h2>
 * Freed blocks are filled with {@value CheckedBlocks#POISON_BYTE_HEX} and checked when handed out
 * again (a write after free throws {@link HeapCorruptionException}); every block gets at least
 * {@value #CANARY_BYTES} canary bytes, checked on free; each block's segment is bound to a scope of
 * its own that closes on free and at the allocator's close; allocation sites are tracked. The given
 * region's close is a checked slab's end: it closes then, from {@link Region#beforeUnmap} (after the
 * region is closed for use, before its memory is unmapped), reporting blocks still live as leaks and
 * closing their scopes, so kept segments and calls throw {@link IllegalStateException}, calls naming
 * the region. The blocks live in the given region, under its limit. A debugging mode.
 *
 * <h2>Footprint</h2>
 * Off the Java heap, in the JVM's one mapping of slot tables (never next to user blocks), cut
 * into slot tables from 1 MiB spans of the allocator's own (written pages only are resident):
 * 6 bytes per slot of a carved page (a 4-byte state word, a 2-byte free-list link), so
 * {@code 6 / blockBytes} of the carved memory: 37.5 % at 16 B, 9.4 % at 64 B, 2.3 % at 256 B,
 * 0.6 % at 1 KiB, 0.04 % at 16 KiB, plus the written part of the last span. Slot tables of
 * empty pages are kept for reuse by the next page of their class. On the Java
 * heap, per page id (32 per segment) about {@value Page#HEAP_BYTES} bytes and per slot table about
 * {@value SlotTable#HEAP_BYTES}: about 0.2 % of the committed segments, whatever the block size.
 * Each cache adds about 2 KiB of heap; checked mode and site tracking add about 40 bytes per slot.
 * {@link #footprint()} reports both figures.
 */
public final class SlabAllocator implements HandleAllocator, MeteredAllocator {
    /** Bytes of canary after each block in checked mode, at least. */
    public static final int CANARY_BYTES = BlockChecks.CANARY_BYTES;
    /** The largest request in checked mode: the largest block less the canary. */
    public static final int MAX_CHECKED_REQUEST = SizeClasses.MAX_BLOCK_BYTES - CANARY_BYTES;

    private final String name;
    /** The region blocks live in and whose close ends this allocator: the given one, or its own. */
    private final Region region;
    private final boolean ownsRegion;
    private final boolean checked;
    private final int maxRequest;
    private final int extraBytes;
    private final BlockMode mode;
    private final HandleCheck check;
    private final LeakReporter leaks;
    private final PageHeap heap;
    private final SlabValidation validation;
    private final CacheDirectory directory;
    /** The directory's table of platform threads' caches, held here for the fast paths. */
    private final ThreadCache[] platformCaches;
    /** Whether a platform thread holds a cache of its own; else every thread borrows a pooled one. */
    private final boolean perThreadCaches;
    private volatile boolean closed;
    /**
     * Set once this allocator or the region it was given has closed: the one volatile read of the
     * allocate and free paths (the region's close sets it through {@link Region#onClose}).
     */
    private volatile boolean unusable;
    /** Blocks handed out as segments by {@link #asSegmentAllocator()}, freed first at close. */
    private final SegmentAllocatorView segmentView = new SegmentAllocatorView(this, 16);
    /** What the given region runs at its close, forgotten at this allocator's close; null without one. */
    private final Runnable onRegionClose;
    /** Checked mode: set when the given region's close closed this allocator, so calls name the region. */
    private volatile boolean endedByRegion;
    /** Per class, blocks still live at close (reported as leaks), so snapshots after close add up. */
    private long[] leakedAtClose = new long[SizeClasses.COUNT];

    private SlabAllocator(Builder b) {
        this.name = b.name;
        this.checked = b.checked;
        this.ownsRegion = b.region == null;
        this.region = ownsRegion ? Region.builder().name(b.name).reserve(b.reserveBytes).build() : b.region;
        this.mode = b.checked ? new CheckedBlocks(b.name) : new PlainBlocks(b.zeroing, b.trackSites, b.name);
        this.maxRequest = b.checked ? MAX_CHECKED_REQUEST : SizeClasses.MAX_BLOCK_BYTES;
        this.extraBytes = mode.extraBytes;
        this.check = new HandleCheck(b.name);
        this.leaks = new LeakReporter(b.name, b.leakListener);
        this.heap = new PageHeap(b.name, region, mode);
        this.validation = new SlabValidation(heap, mode, check, Handles.nextTag());
        this.directory = new CacheDirectory(() -> new ThreadCache(heap, mode, validation), b.pooledCaches);
        this.platformCaches = directory.byThreadTable();
        this.perThreadCaches = b.perThreadCaches;
        heap.beforeCarve(directory::reclaimBeforeCarve);
        if (b.checked && b.region != null) {
            // The given region's close is this allocator's end. Block scopes are this allocator's,
            // over the region's memory: they close (with the rest of it) before the region unmaps.
            this.onRegionClose = () -> {
                endedByRegion = true;
                close();
            };
            b.region.beforeUnmap(onRegionClose);
        } else if (b.region != null) {
            this.onRegionClose = () -> unusable = true;
            b.region.onClose(onRegionClose);
        } else {
            this.onRegionClose = null;
        }
    }

    /** {@return a builder: own region, zeroing on, checked mode off, site tracking off} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the largest request this allocator serves: 64 KiB, less the canary in checked mode} */
    public long maxRequestBytes() {
        return maxRequest;
    }

    // ------------------------------------------------------------------ allocate and free

    /**
     * Allocates a block of the smallest class that holds {@code byteSize} bytes, zeroed unless
     * zeroing is off. Takes no lock and no CAS unless this thread's page of the class is used up
     * (or the caller is a virtual thread: one CAS to borrow a cache).
     *
     * @param byteSize the bytes wanted, in {@code [1, 65536]} ({@code [1, 65528]} in checked mode)
     * @return the block's handle
     * @throws IllegalArgumentException if {@code byteSize} is outside those bounds
     * @throws OutOfOffHeapMemoryException if the region cannot lend another segment
     * @throws HeapCorruptionException in checked mode, if the block was written after it was freed
     *         (the block is re-poisoned and stays free; the next allocation goes on)
     * @throws IllegalStateException if the allocator or its region is closed
     */
    @Override
    public long allocate(long byteSize) {
        if (byteSize < 1 || byteSize > maxRequest) {
            throw badSize(byteSize);
        }
        ensureOpen();
        int sizeClass = SizeClasses.classOf(byteSize + extraBytes);
        Thread thread = Thread.currentThread();
        ThreadCache cache = CacheDirectory.platform(platformCaches, thread);
        if (cache != null) {
            return cache.allocate(sizeClass, byteSize);
        }
        return allocateElsewhere(thread, sizeClass, byteSize);
    }

    private long allocateElsewhere(Thread thread, int sizeClass, long byteSize) {
        if (perThreadCaches && !thread.isVirtual()) {
            return directory.claim(thread).allocate(sizeClass, byteSize);
        }
        ThreadCache cache = directory.borrow(thread, null);
        try {
            return cache.allocate(sizeClass, byteSize);
        } finally {
            cache.unlock();
        }
    }

    /**
     * Frees a block. By the thread whose cache owns the block's page: no lock, no CAS. By any other:
     * one CAS on the block's state word, and the block reaches its owner in a batch.
     *
     * @param handle a live handle of this allocator
     * @throws DoubleFreeException if the block was freed already (or the handle is stale)
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws HeapCorruptionException in checked mode, if the canary after the block was overwritten;
     *         the block is freed all the same
     * @throws IllegalStateException if the allocator or its region is closed
     */
    @Override
    public void free(long handle) {
        ensureOpen();
        Page page = validation.pageOf(handle);
        int slot = SegmentDescriptor.slot(Handles.location(handle));
        if (slot >= page.capacity) {
            throw validation.reject(page, slot, handle, true);
        }
        Thread thread = Thread.currentThread();
        ThreadCache cache = CacheDirectory.platform(platformCaches, thread);
        if (cache == null) {
            freeElsewhere(thread, page, slot, handle);
        } else if (page.owner == cache) {
            cache.freeLocal(page, slot, handle);
        } else {
            cache.freeRemote(page, slot, handle);
        }
    }

    private void freeElsewhere(Thread thread, Page page, int slot, long handle) {
        if (perThreadCaches && !thread.isVirtual()) {
            ThreadCache cache = directory.claim(thread);
            if (page.owner == cache) {
                cache.freeLocal(page, slot, handle);
            } else {
                cache.freeRemote(page, slot, handle);
            }
            return;
        }
        ThreadCache cache = directory.borrow(thread, page.lvOwner());
        try {
            if (page.owner == cache) {
                cache.freeLocal(page, slot, handle);
            } else {
                cache.freeRemote(page, slot, handle);
            }
        } finally {
            cache.unlock();
        }
    }

    // ------------------------------------------------------------------ reading a block

    /**
     * {@return a segment bounded to the block: a slice of its span (checked mode: bound to the
     * block's own scope)}
     *
     * @param handle a live handle
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IllegalStateException if the allocator or its region is closed
     */
    @Override
    public MemorySegment segment(long handle) {
        ensureOpen();
        Page page = validation.pageOf(handle);
        int slot = live(page, handle);
        return mode.segment(page, slot);
    }

    /**
     * {@return the address of the block's first byte} For the raw path: code that reads and writes
     * through a segment of its own. Valid until the block is freed; nothing checks accesses through
     * it (checked mode cannot protect it).
     *
     * @param handle a live handle
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IllegalStateException if the allocator or its region is closed
     */
    public long address(long handle) {
        ensureOpen();
        Page page = validation.pageOf(handle);
        int slot = live(page, handle);
        return page.memory.address() + page.blockOffset(slot);
    }

    /**
     * {@return the usable bytes: the class's block size (checked mode: the bytes asked for)}
     *
     * @param handle a live handle
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IllegalStateException if the allocator or its region is closed
     */
    @Override
    public long byteSize(long handle) {
        ensureOpen();
        Page page = validation.pageOf(handle);
        return mode.usableBytes(page, live(page, handle));
    }

    /** {@return whether {@code handle} is a live block of this allocator; never throws} */
    @Override
    public boolean isLive(long handle) {
        return !closed && validation.isLive(handle);
    }

    private int live(Page page, long handle) {
        int slot = SegmentDescriptor.slot(Handles.location(handle));
        if (slot >= page.capacity || page.lvState(slot) != SlotState.liveOf(handle)) {
            throw validation.reject(page, slot, handle, false);
        }
        return slot;
    }

    // ------------------------------------------------------------------ the validated access path

    /**
     * Reads a {@code long} (native byte order, any alignment) at {@code offset} in the block. Checks
     * the handle's generation and the offset on every call; makes no object.
     *
     * <p>Thread-safety: as a plain field read; the caller orders it with the block's writers.
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
        Page page = validation.pageOf(handle);
        long at = validation.at(page, SegmentDescriptor.slot(Handles.location(handle)), handle, offset, Long.BYTES);
        return page.memory.get(ValueLayout.JAVA_LONG_UNALIGNED, at);
    }

    /**
     * Writes a {@code long} (native byte order, any alignment) at {@code offset} in the block; the
     * checks of {@link #getLong}.
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
        Page page = validation.pageOf(handle);
        long at = validation.at(page, SegmentDescriptor.slot(Handles.location(handle)), handle, offset, Long.BYTES);
        page.memory.set(ValueLayout.JAVA_LONG_UNALIGNED, at, value);
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
        Page page = validation.pageOf(handle);
        long at = validation.at(page, SegmentDescriptor.slot(Handles.location(handle)), handle, offset, Integer.BYTES);
        return page.memory.get(ValueLayout.JAVA_INT_UNALIGNED, at);
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
        Page page = validation.pageOf(handle);
        long at = validation.at(page, SegmentDescriptor.slot(Handles.location(handle)), handle, offset, Integer.BYTES);
        page.memory.set(ValueLayout.JAVA_INT_UNALIGNED, at, value);
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
        Page page = validation.pageOf(handle);
        long at = validation.at(page, SegmentDescriptor.slot(Handles.location(handle)), handle, offset, 1);
        return page.memory.get(ValueLayout.JAVA_BYTE, at);
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
        Page page = validation.pageOf(handle);
        long at = validation.at(page, SegmentDescriptor.slot(Handles.location(handle)), handle, offset, 1);
        page.memory.set(ValueLayout.JAVA_BYTE, at, value);
    }

    /**
     * Copies {@code length} bytes of {@code source} from {@code sourceIndex} into the block at
     * {@code offset}; the checks of {@link #getLong}.
     *
     * @param source the array to copy from
     * @param sourceIndex the first byte of the array to copy
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @param length the bytes to copy
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the bytes are not all inside the block or the array
     * @throws IllegalStateException if the allocator or its region is closed
     */
    public void copyFrom(byte[] source, int sourceIndex, long handle, long offset, int length) {
        Page page = validation.pageOf(handle);
        long at = validation.at(page, SegmentDescriptor.slot(Handles.location(handle)), handle, offset, length);
        MemorySegment.copy(source, sourceIndex, page.memory, ValueLayout.JAVA_BYTE, at, length);
    }

    /**
     * Copies {@code length} bytes of the block from {@code offset} into {@code target} at
     * {@code targetIndex}; the checks of {@link #getLong}.
     *
     * @param handle a live handle
     * @param offset the byte offset in the block
     * @param target the array to copy into
     * @param targetIndex the first byte of the array to write
     * @param length the bytes to copy
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if this allocator never made the handle
     * @throws IndexOutOfBoundsException if the bytes are not all inside the block or the array
     * @throws IllegalStateException if the allocator or its region is closed
     */
    public void copyTo(long handle, long offset, byte[] target, int targetIndex, int length) {
        Page page = validation.pageOf(handle);
        long at = validation.at(page, SegmentDescriptor.slot(Handles.location(handle)), handle, offset, length);
        MemorySegment.copy(page.memory, ValueLayout.JAVA_BYTE, at, target, targetIndex, length);
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
        ensureOpen();
        return segmentView;
    }

    // ------------------------------------------------------------------ giving memory back

    /**
     * Gives back what holds no live block: this thread's empty current pages and those of idle
     * pooled caches (dead threads' caches are pooled first), so a segment with no page left goes back
     * to the region; then purges the OS pages inside runs of free slots of the pages those caches
     * hold, the free slots of every page another thread's cache holds but does not allocate from
     * (all but one page per size class and thread: an idle service shrinks without its threads'
     * help), and every empty unit of the segments still held (see {@link Region#purge}: mapped,
     * reading zero). A syscall per run, under the
     * allocator's lock: call it off the hot path (the façade's {@code trim()} and its decay pass do).
     * The current pages of other live platform threads stay as they are.
     *
     * <p>Thread-safety: thread-safe.
     *
     * @return the bytes purged
     * @throws IllegalStateException if the allocator or its region is closed
     * @throws dev.offheap.allocator.NativeCallException if the kernel refuses; units not yet
     *         purged stay as they were
     */
    public long purgeEmptyPages() {
        trim();
        long purged = 0;
        Thread thread = Thread.currentThread();
        ThreadCache own = thread.isVirtual() ? null : directory.platform(thread);
        if (own != null) {
            purged += own.purgeFreeSlots();
        }
        for (ThreadCache idle : directory.lockIdlePooled()) {
            try {
                purged += idle.purgeFreeSlots();
            } finally {
                idle.unlock();
            }
        }
        purged += heap.purgeNotCurrent(); // the rest: pages other threads hold but do not allocate from
        return purged + heap.purgeEmptyUnits();
    }

    /**
     * Retires every empty page it can reach without another live thread's help (this thread's, idle
     * pooled caches', dead threads'), so segments left without a page go back to the region before
     * the region's own trim decommits idle memory. No purge.
     *
     * <p>Thread-safety: thread-safe.
     *
     * @throws IllegalStateException if the allocator or its region is closed
     */
    public void trim() {
        ensureOpen();
        Thread thread = Thread.currentThread();
        ThreadCache own = thread.isVirtual() ? null : directory.platform(thread);
        if (own != null) {
            own.trim();
        }
        directory.reclaimDead();
        for (ThreadCache idle : directory.lockIdlePooled()) {
            try {
                idle.trim();
            } finally {
                idle.unlock();
            }
        }
    }

    // ------------------------------------------------------------------ figures

    @Override
    public String name() {
        return name;
    }

    /** {@return whether checked mode is on} */
    public boolean checked() {
        return checked;
    }

    /** {@return the region the segments come from (checked mode: the allocator's own)} */
    public Region region() {
        return region;
    }

    /**
     * What the allocator's metadata costs.
     *
     * @param heapBytes Java heap held by pages, slot tables and segments (an estimate from object
     *        sizes; caches and checked mode's per-slot data not included)
     * @param offHeapBytes bytes of slot tables, lent or pooled (cut from 1 MiB spans: the rest of
     *        the last span is resident only where it was written)
     */
    public record Footprint(long heapBytes, long offHeapBytes) {
    }

    /** {@return the metadata footprint now} Takes the allocator's lock. */
    public Footprint footprint() {
        synchronized (heap.lock) {
            return new Footprint(heap.heapBytes() + (long) directory.all().length * 2048, heap.metadataBytes());
        }
    }

    /**
     * {@return the counters summed over every cache, and the bytes} Live blocks are what the pages
     * count as used less the remote frees on their way to their page's owner; frees are allocations
     * less live blocks (and less blocks leaked at close). Exact when no call runs; a racing double
     * free whose slot was reused shows one block short until the owner's drain counts it. Takes the
     * allocator's lock.
     */
    @Override
    public AllocatorSnapshot snapshot() {
        long[] live = new long[SizeClasses.COUNT];
        long[] capacity;
        long committed;
        boolean isClosed;
        long[] leaked;
        synchronized (heap.lock) {
            isClosed = closed;
            leaked = leakedAtClose.clone();
            capacity = isClosed ? new long[SizeClasses.COUNT] : heap.capacityByClass();
            committed = isClosed ? 0 : heap.committedBytes();
            if (!isClosed) {
                for (Page page : heap.pages()) {
                    if (page != null && page.capacity > 0) {
                        live[page.sizeClass] += page.used; // plain int, written by its owner: atomic, maybe a little old
                    }
                }
            }
        }
        long remote = 0;
        long[] allocs = new long[SizeClasses.COUNT];
        for (ThreadCache cache : directory.all()) {
            for (int c = 0; c < SizeClasses.COUNT; c++) {
                allocs[c] += cache.allocations(c);
                remote += cache.remoteFrees(c);
                if (!isClosed) {
                    live[c] -= cache.remoteInFlight(c); // freed, on their way to their page's owner
                }
            }
        }
        long allocations = 0;
        long liveBlocks = 0;
        long frees = 0;
        long usedBytes = 0;
        List<AllocatorSnapshot.SizeClassSnapshot> classes = new ArrayList<>(SizeClasses.COUNT);
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            allocations += allocs[c];
            liveBlocks += live[c];
            frees += allocs[c] - live[c] - leaked[c];
            usedBytes += live[c] * SizeClasses.blockBytes(c);
            classes.add(new AllocatorSnapshot.SizeClassSnapshot(SizeClasses.blockBytes(c), live[c], capacity[c], allocs[c]));
        }
        Footprint metadata = footprint();
        return new AllocatorSnapshot(name, "slab", isClosed ? 0 : region.reservedBytes(), committed, usedBytes,
                liveBlocks, allocations, frees, remote, heap.failures.get(), check.doubleFrees(),
                check.useAfterFrees(), mode.corruptions(), leaks.leakedBlocks(),
                ownsRegion && !checked ? region.decommittedBytesTotal() : 0, classes, 0, 0, 0,
                metadata.heapBytes(), metadata.offHeapBytes(), isClosed ? 0 : directory.all().length);
    }

    // ------------------------------------------------------------------ close

    /**
     * Reports every block still live as a leak ({@link LeakReport.Cause#OUTSTANDING_AT_CLOSE}, with
     * allocation sites where tracked) through the project's leak path, closes checked mode's block
     * scopes, gives every segment back with its scope closed (or closes its own region), and frees the
     * metadata. Every segment handed out throws {@link IllegalStateException} afterwards. Idempotent.
     * A call racing it on another thread finishes or throws {@link IllegalStateException}.
     */
    @Override
    public void close() {
        if (!closed) {
            try {
                segmentView.freeAll();
            } catch (IllegalStateException regionClosed) {
                // the given region closed first: those blocks are reported below with the others
            }
        }
        long blocks = 0;
        long bytes = 0;
        List<Throwable> sites = new ArrayList<>();
        synchronized (heap.lock) {
            if (closed) {
                return;
            }
            closed = true; // volatile: racing calls see it at their next check
            unusable = true;
            validation.markClosed(name); // before the tables go: what a racing call's reject throws
            long[] leaked = new long[SizeClasses.COUNT];
            for (Page page : heap.pages()) {
                if (page == null || page.capacity == 0) {
                    continue;
                }
                for (int slot = 0; slot < page.capacity; slot++) {
                    if (SlotState.state(page.lvState(slot)) != SlotState.LIVE) {
                        continue;
                    }
                    blocks++;
                    leaked[page.sizeClass]++;
                    bytes += mode.usableBytes(page, slot);
                    Throwable site = mode.site(page, slot);
                    if (site != null && sites.size() < LeakReport.MAX_SITES) {
                        sites.add(site);
                    }
                    mode.closeLive(page, slot);
                }
            }
            leakedAtClose = leaked;
            heap.close(!ownsRegion);
        }
        if (onRegionClose != null) {
            region.forget(onRegionClose); // a long-lived region must not keep this allocator reachable
        }
        try {
            if (ownsRegion) {
                region.close();
            }
        } finally {
            heap.closeMetadata();
            leaks.outstandingAtClose(blocks, bytes, sites);
        }
    }

    /**
     * Test hook: gives the live block of {@code handle} the generation {@code generation}, as if its
     * slot had been reused that often, and returns its handle with it (so a test can reach the
     * generation wrap without 2<sup>24</sup> frees). Package-private; the caller holds the block.
     */
    long reissueForTest(long handle, int generation) {
        Page page = validation.pageOf(handle);
        int slot = live(page, handle);
        page.soState(slot, SlotState.of(generation, SlotState.LIVE));
        return (handle & ~((long) Handles.GENERATION_MASK << Handles.GENERATION_SHIFT))
                | ((long) generation << Handles.GENERATION_SHIFT);
    }

    /** Test hook: the page a handle of this allocator names. Package-private. */
    Page pageForTest(long handle) {
        return validation.pageOf(handle);
    }

    /** Test hook: what a call that found {@code handle}'s slot not live throws, past every closed check. */
    RuntimeException rejectForTest(long handle) {
        return validation.reject(validation.pageOf(handle), SegmentDescriptor.slot(Handles.location(handle)), handle, false);
    }

    /**
     * Test hook: the owner's free of {@code handle} as if its check had read LIVE just before a
     * remote free's CAS won the word (the race of the owner's plain free with a remote free), so a
     * test can run that interleaving on purpose. Package-private; call it on the page's owner.
     */
    void racingOwnerFreeForTest(long handle) {
        Page page = validation.pageOf(handle);
        ThreadCache cache = directory.platform(Thread.currentThread());
        if (cache == null || page.owner != cache) {
            throw new IllegalStateException("not the page's owner: handle=" + Handles.toString(handle));
        }
        cache.completeLocalFree(page, SegmentDescriptor.slot(Handles.location(handle)), handle, SlotState.liveOf(handle));
    }

    private void ensureOpen() {
        if (unusable) {
            throw closedError();
        }
    }

    /** Cold: names the region when it closed first (a checked slab closed by it included). */
    private IllegalStateException closedError() {
        return region.isClosed() && (!closed || endedByRegion) ? regionClosed()
                : new IllegalStateException("allocator is closed: allocator=" + name);
    }

    private IllegalStateException regionClosed() {
        return new IllegalStateException("region is closed: region=" + region.name() + ", allocator=" + name);
    }

    private IllegalArgumentException badSize(long byteSize) {
        return new IllegalArgumentException("slab block size must be in [1, " + maxRequest + "]: byteSize="
                + byteSize + ", allocator=" + name);
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
        /** The default of {@link #pooledCaches(int)}: twice the processors, at least 4. */
        public static final int DEFAULT_POOLED_CACHES = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

        private String name = "slab";
        private Region region;
        private long reserveBytes = Region.DEFAULT_RESERVE_BYTES;
        private boolean zeroing = true;
        private boolean checked;
        private boolean trackSites;
        private boolean perThreadCaches = true;
        private int pooledCaches = DEFAULT_POOLED_CACHES;
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
         * and closes its own. In checked mode the blocks live in a region of the allocator's own
         * (with this one's limit), and this one's close ends the allocator.
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
         * Sets whether each platform thread that allocates holds a cache of its own (default
         * {@code true}: the fast path, no lock and no CAS). With {@code false} every thread, as
         * every virtual thread always does, borrows one of at most {@link #pooledCaches(int)}
         * pooled caches for each call (a try-lock CAS, about 13 ns on a small VM): for a service
         * with hundreds of platform threads, whose caches would each hold pages of their own.
         *
         * @param perPlatformThread whether platform threads hold caches of their own
         * @return this builder
         */
        public Builder threadCaches(boolean perPlatformThread) {
            this.perThreadCaches = perPlatformThread;
            return this;
        }

        /**
         * Sets the most pooled caches: those virtual threads (and, with {@code threadCaches(false)},
         * all threads) borrow. Default {@link #DEFAULT_POOLED_CACHES}: twice the processors, at
         * least 4. When every one is in use a caller yields and tries again.
         *
         * @param max the most pooled caches, at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code max} is not positive
         */
        public Builder pooledCaches(int max) {
            this.pooledCaches = (int) Checks.checkPositive("pooledCaches", max);
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
