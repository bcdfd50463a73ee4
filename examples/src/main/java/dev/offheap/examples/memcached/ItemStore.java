package dev.offheap.examples.memcached;

import dev.offheap.allocator.Handles;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.slab.SizeClasses;
import dev.offheap.netty.ByteBufSegments;
import io.netty.buffer.ByteBuf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The cache: items in blocks of an {@link OffHeap}, each with its header in the block
 * ({@link ItemLayout}), found through striped {@link ItemTable}s of handles, with memcached's
 * semantics for every storage command, expiry, {@code flush_all} and eviction of the least
 * recently used (approximated by CLOCK, {@link ItemTable}). No Java object is kept per item.
 *
 * <p>Memory: every block the store allocates is counted at the allocator's own rounded size
 * ({@link OffHeap#byteSize}) from allocation to free. Before an allocation would take that count
 * above {@link #evictAboveBytes()}, least recently used items are evicted (each stripe's LRU tail,
 * the stripes in turn); if the allocator still refuses (its limit is on committed memory, which a
 * partly filled page also takes), more items are evicted and the allocation retried. An item that
 * is evicted while a response still sends it keeps its block until the write is done
 * (the reference count in its header, {@link Item}); its bytes stay counted until then.
 *
 * <p>Thread-safety: thread-safe. Each stripe has a lock (its table's monitor); no code holds two
 * of them, and no allocation or eviction runs under one, so eviction cannot deadlock. Commands that
 * build a new value from the old one (append, prepend, incr, decr) read the old one with a
 * reference held and no lock, and link the new one only if the old one is still linked, retrying
 * otherwise, so concurrent increments are never lost.
 */
final class ItemStore {
    /** Slab-class index that {@code stats items} uses for blocks above the slab's largest class. */
    static final int LARGE_CLASS = SizeClasses.COUNT;
    private static final int STRIPES = 64;
    private static final int MAX_ALLOCATION_RETRIES = 10_000;
    private static final int MAX_RACE_RETRIES = 64;
    /**
     * Values up to this many bytes are copied into the reply (off-heap to off-heap, under the
     * stripe's lock); longer ones are sent as a view of their block, kept by a reference until
     * written. For a short value the copy is cheaper than what the view costs: a wrapper buffer,
     * a write listener, two atomic updates of the reference count and one more buffer for the
     * socket's gather write. Measured with {@link ServerPathCpuMain}.
     */
    static final int COPY_LIMIT = 2048;
    /** Room a copied reply can need: the VALUE line with the longest key and a cas, the value, its trailer. */
    static final int COPY_REPLY_BYTES = ItemLayout.MAX_KEY_BYTES + COPY_LIMIT + 64;

    private final OffHeap memory;
    private final long limitBytes;
    private final long evictAboveBytes;
    private final long itemSizeMax;
    private final InstantSource clock;
    private final ItemTable[] tables = new ItemTable[STRIPES];
    private final AtomicLong heldBytes = new AtomicLong();
    private final AtomicLong heldBlocks = new AtomicLong();
    private final AtomicLong casCounter = new AtomicLong();
    private final AtomicInteger evictionCursor = new AtomicInteger();
    private final AtomicLong pendingFlushAt = new AtomicLong();
    private final AtomicLongArray itemsByClass = new AtomicLongArray(SizeClasses.COUNT + 1);
    private final AtomicLongArray evictedByClass = new AtomicLongArray(SizeClasses.COUNT + 1);
    /** Items linked before this Unix second are gone once it has come; 0: no delayed flush. */
    private volatile long flushedBefore;
    final StoreStats stats;

    /**
     * @param memory where blocks come from; its limit is the cache's memory limit
     * @param evictAboveBytes held bytes above which eviction makes room before allocating
     * @param itemSizeMax the largest block (key, value, trailer) one item may take
     * @param clock the time expiry reads
     * @param stats where the store counts what it does
     */
    ItemStore(OffHeap memory, long evictAboveBytes, long itemSizeMax, InstantSource clock, StoreStats stats) {
        this.memory = memory;
        this.limitBytes = memory.region().limitBytes();
        this.evictAboveBytes = evictAboveBytes;
        this.itemSizeMax = itemSizeMax;
        this.clock = clock;
        this.stats = stats;
        for (int i = 0; i < STRIPES; i++) {
            tables[i] = new ItemTable(memory);
        }
    }

    OffHeap memory() {
        return memory;
    }

    long nowSeconds() {
        return clock.millis() / 1000;
    }

    long limitBytes() {
        return limitBytes;
    }

    long evictAboveBytes() {
        return evictAboveBytes;
    }

    long itemSizeMax() {
        return itemSizeMax;
    }

    /** {@return bytes of blocks allocated and not yet freed, at the allocator's rounded sizes} */
    long heldBytes() {
        return heldBytes.get();
    }

    /** {@return blocks allocated and not yet freed: linked items, values in flight, values being read} */
    long heldBlocks() {
        return heldBlocks.get();
    }

    /** {@return items linked now, over every stripe} */
    long currItems() {
        long n = 0;
        for (ItemTable t : tables) {
            synchronized (t) {
                n += t.count();
            }
        }
        return n;
    }

    long itemsInClass(int sizeClass) {
        return itemsByClass.get(sizeClass);
    }

    long evictedInClass(int sizeClass) {
        return evictedByClass.get(sizeClass);
    }

    /** {@return whether a key and value of these lengths fit in one item} */
    boolean fits(int keyLength, long valueLength) {
        long bytes = ItemLayout.blockBytes(keyLength, valueLength);
        return bytes <= itemSizeMax && bytes <= evictAboveBytes;
    }

    /**
     * Allocates an unlinked item, evicting to make room, and copies the key into it. The caller
     * owns the one reference: it stores the item or releases it.
     *
     * @return the item, or null if no room could be made
     */
    Item allocate(MemorySegment key, int keyLength, int hash, int valueLength, int flags, long deadline) {
        long handle = allocateBlock(ItemLayout.blockBytes(keyLength, valueLength));
        if (handle == Handles.NULL) {
            return null;
        }
        MemorySegment block = memory.segment(handle);
        ItemLayout.initialise(block, keyLength, valueLength, flags, hash, deadline);
        MemorySegment.copy(key, 0, block, ItemLayout.KEY_OFFSET, keyLength);
        return new Item(this, handle, block);
    }

    /**
     * Finds the live item with this key and counts a get. A value of at most {@link #COPY_LIMIT}
     * bytes is written into {@code reply} whole (VALUE line, value, trailer), which must have
     * {@link #COPY_REPLY_BYTES} writable bytes; a longer one is left to the caller.
     *
     * @return the item, retained (send it, then release it), if its value is longer than
     *         {@link #COPY_LIMIT}; null if there is none or it was written into {@code reply}
     */
    Item get(MemorySegment key, int keyLength, int hash, ByteBuf reply, boolean withCas) {
        return fetch(key, keyLength, hash, false, 0, reply, withCas);
    }

    /** As {@link #get}, and sets the item's deadline (gat, gats). */
    Item getAndTouch(MemorySegment key, int keyLength, int hash, long deadline, ByteBuf reply, boolean withCas) {
        return fetch(key, keyLength, hash, true, deadline, reply, withCas);
    }

    private Item fetch(MemorySegment key, int keyLength, int hash, boolean touch, long deadline,
                       ByteBuf reply, boolean withCas) {
        long now = beforeOperation();
        ItemTable t = table(hash);
        stats.cmdGet.increment();
        if (touch) {
            stats.cmdTouch.increment();
        }
        synchronized (t) {
            long it = findLive(t, key, keyLength, hash, now, true);
            if (it == Handles.NULL) {
                stats.getMisses.increment();
                if (touch) {
                    stats.touchMisses.increment();
                }
                return null;
            }
            stats.getHits.increment();
            MemorySegment block = memory.segment(it);
            if (touch) {
                stats.touchHits.increment();
                ItemLayout.deadline(block, deadline);
            }
            t.touch(it);
            int valueLength = ItemLayout.valueLength(block);
            if (valueLength > COPY_LIMIT) {
                return retain(it, block);
            }
            Replies.writeValueLine(reply, block, keyLength, ItemLayout.flags(block), valueLength, withCas,
                    ItemLayout.cas(block));
            ByteBufSegments.writeBytes(reply, block, ItemLayout.valueOffset(keyLength), valueLength + ItemLayout.TRAILER_BYTES);
            return null;
        }
    }

    /**
     * Stores {@code fresh} (whose value the caller has filled) as {@code set}, {@code add},
     * {@code replace}, {@code cas}, {@code append} or {@code prepend} do. Takes over the caller's
     * reference to {@code fresh} in every case.
     */
    StoreResult store(StorageCommand command, Item fresh, long casUnique) {
        stats.cmdSet.increment();
        if (command == StorageCommand.APPEND || command == StorageCommand.PREPEND) {
            return concatenate(command == StorageCommand.APPEND, fresh);
        }
        long now = beforeOperation();
        ItemTable t = table(fresh.hash);
        MemorySegment key = fresh.key();
        synchronized (t) {
            long old = findLive(t, key, fresh.keyLength, fresh.hash, now, false);
            switch (command) {
                case ADD -> {
                    if (old != Handles.NULL) {
                        t.touch(old); // memcached bumps the item an add failed on
                        fresh.release();
                        return StoreResult.NOT_STORED;
                    }
                }
                case REPLACE -> {
                    if (old == Handles.NULL) {
                        fresh.release();
                        return StoreResult.NOT_STORED;
                    }
                }
                case CAS -> {
                    if (old == Handles.NULL) {
                        stats.casMisses.increment();
                        fresh.release();
                        return StoreResult.NOT_FOUND;
                    }
                    if (ItemLayout.cas(memory.segment(old)) != casUnique) {
                        stats.casBadval.increment();
                        fresh.release();
                        return StoreResult.EXISTS;
                    }
                    stats.casHits.increment();
                }
                default -> {
                    // SET stores whatever was there
                }
            }
            if (old != Handles.NULL) {
                unlink(t, old);
            }
            link(t, fresh, now);
            return StoreResult.STORED;
        }
    }

    private StoreResult concatenate(boolean append, Item fresh) {
        ItemTable t = table(fresh.hash);
        try {
            for (int attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
                long now = beforeOperation();
                Item old;
                long deadline;
                synchronized (t) {
                    long found = findLive(t, fresh.key(), fresh.keyLength, fresh.hash, now, false);
                    if (found == Handles.NULL) {
                        return StoreResult.NOT_STORED;
                    }
                    MemorySegment block = memory.segment(found);
                    deadline = ItemLayout.deadline(block);
                    old = retain(found, block);
                }
                Item combined;
                try {
                    long total = (long) old.valueLength + fresh.valueLength;
                    if (!fits(old.keyLength, total)) {
                        return StoreResult.NOT_STORED; // as memcached: the longer item cannot be made
                    }
                    combined = allocate(old.key(), old.keyLength, old.hash, (int) total, old.flags, deadline);
                    if (combined == null) {
                        return StoreResult.NO_MEMORY;
                    }
                    MemorySegment first = append ? old.valueWithTrailer() : fresh.valueWithTrailer();
                    MemorySegment second = append ? fresh.valueWithTrailer() : old.valueWithTrailer();
                    MemorySegment into = combined.valueWithTrailer();
                    long firstLength = first.byteSize() - ItemLayout.TRAILER_BYTES;
                    MemorySegment.copy(first, 0, into, 0, firstLength);
                    MemorySegment.copy(second, 0, into, firstLength, second.byteSize()); // with its trailer
                    if (replaceIfLinked(t, old, combined)) {
                        return StoreResult.STORED;
                    }
                } finally {
                    old.release(); // after replaceIfLinked: it reads the old item's header
                }
                combined.release(); // another command changed the item meanwhile: start again from it
            }
            return StoreResult.NO_MEMORY;
        } finally {
            fresh.release();
        }
    }

    /**
     * incr or decr: the value as a decimal unsigned 64-bit number, plus or minus {@code delta};
     * incr wraps at 2^64, decr stops at 0, as memcached does.
     *
     * @param result where the new value goes (index 0) when the answer is {@link StoreResult#STORED}
     */
    StoreResult arithmetic(MemorySegment key, int keyLength, int hash, boolean incr, long delta, long[] result) {
        ItemTable t = table(hash);
        for (int attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
            long now = beforeOperation();
            Item old;
            long deadline;
            synchronized (t) {
                long found = findLive(t, key, keyLength, hash, now, false);
                if (found == Handles.NULL) {
                    (incr ? stats.incrMisses : stats.decrMisses).increment();
                    return StoreResult.NOT_FOUND;
                }
                MemorySegment block = memory.segment(found);
                deadline = ItemLayout.deadline(block);
                old = retain(found, block);
            }
            Item next;
            long value;
            try {
                long current = parseUnsigned(old.valueWithTrailer(), old.valueLength);
                if (current == -1 && !isMaxUnsigned(old)) {
                    return StoreResult.NON_NUMERIC;
                }
                value = incr ? current + delta : (Long.compareUnsigned(current, delta) < 0 ? 0 : current - delta);
                byte[] digits = Long.toUnsignedString(value).getBytes(StandardCharsets.US_ASCII);
                next = allocate(old.key(), old.keyLength, old.hash, digits.length, old.flags, deadline);
                if (next == null) {
                    return StoreResult.NO_MEMORY;
                }
                MemorySegment into = next.valueWithTrailer();
                MemorySegment.copy(digits, 0, into, ValueLayout.JAVA_BYTE, 0, digits.length);
                into.set(ValueLayout.JAVA_BYTE, digits.length, (byte) '\r');
                into.set(ValueLayout.JAVA_BYTE, digits.length + 1, (byte) '\n');
                if (replaceIfLinked(t, old, next)) {
                    (incr ? stats.incrHits : stats.decrHits).increment();
                    result[0] = value;
                    return StoreResult.STORED;
                }
            } finally {
                old.release(); // after replaceIfLinked: it reads the old item's header
            }
            next.release();
        }
        return StoreResult.NO_MEMORY;
    }

    private boolean isMaxUnsigned(Item item) {
        return item.valueLength == 20 && MemorySegment.mismatch(item.valueWithTrailer(), 0, 20,
                MemorySegment.ofArray("18446744073709551615".getBytes(StandardCharsets.US_ASCII)), 0, 20) < 0;
    }

    /**
     * {@return the value as an unsigned decimal, or -1 if it is not one} Trailing spaces are
     * allowed (memcached leaves them after a decr in place). The one number that reads as -1,
     * 2^64-1, is told apart by {@link #isMaxUnsigned}.
     */
    static long parseUnsigned(MemorySegment bytes, int length) {
        int end = length;
        while (end > 0 && bytes.get(ValueLayout.JAVA_BYTE, end - 1) == ' ') {
            end--;
        }
        if (end == 0 || end > 20) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < end; i++) {
            int d = bytes.get(ValueLayout.JAVA_BYTE, i) - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            long times10 = value * 10;
            if (Long.compareUnsigned(value, Long.divideUnsigned(-1L, 10)) > 0
                    || Long.compareUnsigned(times10 + d, times10) < 0) {
                return -1;
            }
            value = times10 + d;
        }
        return value;
    }

    /**
     * Links {@code replacement} in place of {@code old} if {@code old} is still linked. The caller
     * holds a reference to each (so both headers stay readable); the store takes over the one to
     * {@code replacement} when it returns true.
     */
    private boolean replaceIfLinked(ItemTable t, Item old, Item replacement) {
        long now = nowSeconds();
        synchronized (t) {
            MemorySegment oldBlock = old.raw(); // the caller's reference keeps the block
            if (!ItemLayout.is(oldBlock, ItemLayout.LINKED)) {
                return false;
            }
            // a touch may have changed it meanwhile
            ItemLayout.deadline(replacement.raw(), ItemLayout.deadline(oldBlock));
            unlink(t, old.handle);
            link(t, replacement, now);
            return true;
        }
    }

    /** {@return whether a live item was deleted} */
    boolean delete(MemorySegment key, int keyLength, int hash) {
        long now = beforeOperation();
        ItemTable t = table(hash);
        synchronized (t) {
            long it = findLive(t, key, keyLength, hash, now, false);
            if (it == Handles.NULL) {
                stats.deleteMisses.increment();
                return false;
            }
            unlink(t, it);
            stats.deleteHits.increment();
            return true;
        }
    }

    /** Drops whatever the key holds (a set that could not store must not leave the old value). */
    void unlinkKey(MemorySegment key, int keyLength, int hash) {
        ItemTable t = table(hash);
        synchronized (t) {
            long it = t.find(key, keyLength, hash);
            if (it != Handles.NULL) {
                unlink(t, it);
            }
        }
    }

    /** {@return whether a live item's deadline was changed} */
    boolean touch(MemorySegment key, int keyLength, int hash, long deadline) {
        long now = beforeOperation();
        ItemTable t = table(hash);
        stats.cmdTouch.increment();
        synchronized (t) {
            long it = findLive(t, key, keyLength, hash, now, false);
            if (it == Handles.NULL) {
                stats.touchMisses.increment();
                return false;
            }
            ItemLayout.deadline(memory.segment(it), deadline);
            t.touch(it);
            stats.touchHits.increment();
            return true;
        }
    }

    /**
     * {@code flush_all}: with no delay every item goes now (and its block, unless a response still
     * sends it); with one, every item linked before the moment the delay ends goes at that moment.
     */
    void flushAll(long delaySeconds) {
        stats.cmdFlush.increment();
        if (delaySeconds <= 0) {
            flushedBefore = 0;
            pendingFlushAt.set(0);
            sweep(Long.MAX_VALUE);
            return;
        }
        long at = nowSeconds() + delaySeconds;
        flushedBefore = at;
        pendingFlushAt.set(at);
    }

    /** Unlinks every item (shutdown); blocks still sent go when their writes finish. */
    void clear() {
        sweep(Long.MAX_VALUE);
    }

    /**
     * Evicts the next stripe's least recently used item (as CLOCK approximates it), from the
     * first stripe in turn that has one.
     *
     * @return false if every stripe is empty
     */
    boolean evictOne() {
        long now = nowSeconds();
        for (int i = 0; i < STRIPES; i++) {
            ItemTable t = tables[evictionCursor.getAndIncrement() & (STRIPES - 1)];
            synchronized (t) {
                long victim = t.victim();
                if (victim != Handles.NULL) {
                    MemorySegment block = memory.segment(victim);
                    if (Expiry.expired(ItemLayout.deadline(block), now)) {
                        stats.reclaimed.increment();
                    } else {
                        stats.evictions.increment();
                        evictedByClass.incrementAndGet(sizeClass(block));
                    }
                    unlink(t, victim);
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Takes one more reference to a linked item, under its stripe's lock (the store's own
     * reference keeps the block meanwhile).
     */
    private Item retain(long handle, MemorySegment block) {
        int before = ItemLayout.addRefs(block, 1);
        if (before <= 0) {
            throw new IllegalStateException("item retained after its block was freed: refs=" + before);
        }
        return new Item(this, handle, block);
    }

    /** Gives one reference back; the last one frees the block. */
    void release(long handle) {
        int after = ItemLayout.addRefs(memory.segment(handle), -1) - 1;
        if (after == 0) {
            long bytes = memory.byteSize(handle);
            memory.free(handle);
            heldBytes.addAndGet(-bytes);
            heldBlocks.decrementAndGet();
        } else if (after < 0) {
            throw new IllegalStateException("item released more often than retained: refs=" + after);
        }
    }

    private long allocateBlock(long bytes) {
        while (heldBytes.get() + bytes > evictAboveBytes && evictOne()) {
            // each round frees one LRU item's block (unless a response still sends it)
        }
        for (int attempt = 0; ; attempt++) {
            try {
                long handle = memory.allocate(bytes);
                heldBytes.addAndGet(memory.byteSize(handle));
                heldBlocks.incrementAndGet();
                return handle;
            } catch (OutOfOffHeapMemoryException e) {
                // the allocator's limit is on committed memory: partly used pages count too
                if (attempt >= MAX_ALLOCATION_RETRIES || !evictOne()) {
                    stats.outOfMemory.increment();
                    return Handles.NULL;
                }
            }
        }
    }

    /** {@return the handle of the live linked item with this key, or {@link Handles#NULL}} */
    private long findLive(ItemTable t, MemorySegment key, int keyLength, int hash, long now, boolean fetch) {
        long it = t.find(key, keyLength, hash);
        if (it == Handles.NULL) {
            return Handles.NULL;
        }
        MemorySegment block = memory.segment(it);
        if (Expiry.expired(ItemLayout.deadline(block), now)) {
            unlink(t, it);
            stats.reclaimed.increment();
            if (fetch) {
                stats.getExpired.increment();
            }
            return Handles.NULL;
        }
        long before = flushedBefore;
        if (before != 0 && now >= before && ItemLayout.linkedAt(block) < before) {
            unlink(t, it);
            if (fetch) {
                stats.getFlushed.increment();
            }
            return Handles.NULL;
        }
        return it;
    }

    private void link(ItemTable t, Item item, long now) {
        MemorySegment block = item.raw();
        ItemLayout.cas(block, casCounter.incrementAndGet());
        ItemLayout.linkedAt(block, now);
        t.link(item.handle, block);
        itemsByClass.incrementAndGet(sizeClass(block));
        stats.totalItems.increment();
    }

    private void unlink(ItemTable t, long handle) {
        t.unlink(handle);
        itemsByClass.decrementAndGet(sizeClass(memory.segment(handle)));
        release(handle); // the store's reference
    }

    private long beforeOperation() {
        long now = nowSeconds();
        long at = pendingFlushAt.get();
        if (at != 0 && now >= at && pendingFlushAt.compareAndSet(at, 0)) {
            sweep(at); // the delayed flush has come: give its items' memory back now, not on access
        }
        return now;
    }

    private void sweep(long linkedBefore) {
        for (ItemTable t : tables) {
            synchronized (t) {
                t.removeIf(h -> ItemLayout.linkedAt(memory.segment(h)) < linkedBefore, h -> {
                    MemorySegment block = memory.segment(h);
                    itemsByClass.decrementAndGet(sizeClass(block));
                    release(h); // the store's reference
                });
            }
        }
    }

    private ItemTable table(int hash) {
        return tables[hash >>> (Integer.SIZE - Integer.numberOfTrailingZeros(STRIPES))];
    }

    /** {@return the slab class of the item's block, or {@link #LARGE_CLASS} above the slab's range} */
    private static int sizeClass(MemorySegment block) {
        long bytes = ItemLayout.blockBytes(ItemLayout.keyLength(block), ItemLayout.valueLength(block));
        return bytes <= SizeClasses.MAX_BLOCK_BYTES ? SizeClasses.classOf(bytes) : LARGE_CLASS;
    }
}
