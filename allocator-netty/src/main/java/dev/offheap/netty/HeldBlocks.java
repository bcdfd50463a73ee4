package dev.offheap.netty;

import dev.offheap.allocator.ownership.MemoryBlock;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.FastThreadLocalThread;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One released block per Netty event-loop thread, kept with its segment and NIO views for the next
 * direct buffer of its size made on that thread. Under a request/response load every read takes a
 * buffer and releases it a moment later on the same event loop; keeping the block spares the
 * {@link MemoryBlock}, its leak-tracking registration, its segment and views, and the free and
 * allocation of the block itself. Only the memory and those objects are reused, never the
 * {@code ByteBuf}: a buffer released earlier keeps its {@link MemorySegment#NULL} segment, so a
 * stale reference throws as before instead of reaching the new buffer's bytes.
 *
 * <p>Kept only on threads that release their {@link FastThreadLocal}s as they end (Netty's event
 * loops): the block is freed then. {@link #releaseAll()} frees every kept block from any thread (the
 * allocator's {@code releaseHeldBlocks()}, before the {@code OffHeap} is closed while event loops still
 * run). At most one block per thread, of at most {@value #MAX_HELD_BYTES} usable bytes.
 *
 * <p>Thread-safety: thread-safe. Each thread's slot is an {@link AtomicReference} that its thread
 * takes from and fills with one atomic exchange, and that {@link #releaseAll()} empties the same way,
 * so a block is either reused by its thread or freed by the sweep, never both.
 */
final class HeldBlocks {
    /** Blocks larger than this are freed as before: a kept block should be one a read buffer uses. */
    static final int MAX_HELD_BYTES = 64 << 10;

    /** A block kept for reuse, with the objects made for it; immutable once made. */
    record Held(MemoryBlock block, MemorySegment memory, ByteBuffer nioView, ByteBuffer internalNio) {
    }

    private final OffHeapByteBufAllocator alloc;
    /** Every slot ever made, for {@link #releaseAll()}; a slot of a thread that ended is empty. */
    private final Queue<AtomicReference<Held>> slots = new ConcurrentLinkedQueue<>();
    private final FastThreadLocal<AtomicReference<Held>> slot = new FastThreadLocal<>() {
        @Override
        protected AtomicReference<Held> initialValue() {
            AtomicReference<Held> mine = new AtomicReference<>();
            slots.add(mine);
            return mine;
        }

        @Override
        protected void onRemoval(AtomicReference<Held> mine) {
            slots.remove(mine);
            free(mine.getAndSet(null)); // the thread ends: its kept block goes back
        }
    };

    HeldBlocks(OffHeapByteBufAllocator alloc) {
        this.alloc = alloc;
    }

    /**
     * {@return this thread's kept block if it suits a buffer of {@code capacity} bytes (it holds them
     * and would not be cut in half by them), else null and the kept block stays}
     */
    Held take(int capacity) {
        if (!FastThreadLocalThread.currentThreadWillCleanupFastThreadLocals()) {
            return null;
        }
        AtomicReference<Held> mine = slot.get();
        Held held = mine.get();
        if (held == null || !suits(held.memory().byteSize(), capacity)) {
            return null;
        }
        return mine.getAndSet(null); // null if releaseAll() took it meanwhile
    }

    /** Whether a block of {@code usable} bytes suits a buffer of {@code capacity}: as {@code capacity(int)}'s shrink rule. */
    static boolean suits(long usable, int capacity) {
        return capacity <= usable && (capacity > usable >>> 1 || usable <= OffHeapByteBuf.SMALL_BLOCK_BYTES);
    }

    /**
     * Keeps {@code held} for this thread's next buffer if the thread is an event loop that has
     * taken buffers from this allocator, its slot is empty and the block small enough; otherwise
     * frees it.
     */
    void offer(Held held) {
        if (held.memory().byteSize() <= MAX_HELD_BYTES && FastThreadLocalThread.currentThreadWillCleanupFastThreadLocals()) {
            // Never made here: only take() makes the slot. A buffer released while the loop's
            // thread-locals are being removed (another thread-local's cleanup releasing a buffer
            // it kept) must not make a new slot after this one's onRemoval ran: nothing would free it.
            AtomicReference<Held> mine = slot.getIfExists();
            if (mine != null && mine.compareAndSet(null, held)) {
                return;
            }
        }
        free(held);
    }

    /** Frees every kept block, whichever thread keeps it. */
    void releaseAll() {
        for (AtomicReference<Held> s : slots) {
            free(s.getAndSet(null));
        }
    }

    /** {@return the blocks kept now} */
    int count() {
        int n = 0;
        for (AtomicReference<Held> s : slots) {
            n += s.get() == null ? 0 : 1;
        }
        return n;
    }

    private void free(Held held) {
        if (held != null) {
            alloc.freeKeptBlock(held.block());
        }
    }
}
