package dev.offheap.allocator.ownership;

import dev.offheap.allocator.UseAfterFreeException;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;

/**
 * An object handle that owns one block of memory, as a Rust {@code Box} does: {@link #close()}
 * frees it, {@link #moveTo(Thread)} / {@link #move()} hand it to a new owner and kill this handle.
 * Made by a {@link BlockAllocator} over any {@link dev.offheap.allocator.HandleAllocator}.
 *
 * <p>Thread-safety: a block made by {@link BlockAllocator#allocateConfined(long)} or moved with
 * {@link #moveTo(Thread)} is <em>confined</em>: every method but {@link #isOpen()} throws
 * {@link WrongThreadException} on any other thread. An unconfined block may be used from any
 * thread; {@code close} and {@code move} are atomic (a CAS on the block's state), so of two racing
 * one wins and the other sees a dead block. Reading or writing the segment while another thread
 * closes the block is the caller's race, as with {@code Arena.ofShared()}; the allocator's checked
 * mode turns it into an {@link IllegalStateException}.
 *
 * <h2>Life</h2>
 * <pre>
 *   OPEN --close()--> CLOSED   (memory freed; any use throws UseAfterFreeException)
 *   OPEN --move()---> MOVED    (memory owned by the new handle; any use throws IllegalStateException)
 * </pre>
 * {@code close()} is idempotent: on a closed or moved block it does nothing, so a block moved out of
 * a try-with-resources is not freed when the block ends.
 */
public final class MemoryBlock implements AutoCloseable {
    private static final int OPEN = 0;
    private static final int CLOSED = 1;
    private static final int MOVED = 2;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(MemoryBlock.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final BlockAllocator blocks;
    private final long handle;
    private final long byteSize;
    private final Thread ownerThread;
    private final LeakTracker tracker;
    /** Set once right after construction, before the block is published. */
    Cleaner.Cleanable cleanable;
    private volatile int state = OPEN;
    /** Cached on first use; benign race (every thread would make an equal segment). */
    private MemorySegment segment;

    MemoryBlock(BlockAllocator blocks, long handle, long byteSize, Thread ownerThread, LeakTracker tracker) {
        this.blocks = blocks;
        this.handle = handle;
        this.byteSize = byteSize;
        this.ownerThread = ownerThread;
        this.tracker = tracker;
    }

    /**
     * {@return a segment bounded to the block's usable bytes}
     *
     * @throws UseAfterFreeException if the block was closed
     * @throws IllegalStateException if the block was moved
     * @throws WrongThreadException if the block is confined to another thread
     */
    public MemorySegment segment() {
        checkUsable();
        MemorySegment s = segment;
        if (s == null) {
            s = blocks.allocator().segment(handle);
            segment = s;
        }
        return s;
    }

    /**
     * {@return the usable bytes: at least what was asked for}
     *
     * @throws UseAfterFreeException if the block was closed
     * @throws IllegalStateException if the block was moved
     * @throws WrongThreadException if the block is confined to another thread
     */
    public long byteSize() {
        checkUsable();
        return byteSize;
    }

    long byteSizeUnchecked() {
        return byteSize;
    }

    /**
     * {@return the allocator's {@code long} handle of the block, for code that takes handles} The
     * block still owns it: freeing it through the allocator is a double free when the block closes.
     *
     * @throws UseAfterFreeException if the block was closed
     * @throws IllegalStateException if the block was moved
     * @throws WrongThreadException if the block is confined to another thread
     */
    public long handle() {
        checkUsable();
        return handle;
    }

    /** {@return whether this handle still owns its block: not closed, not moved} Any thread. */
    public boolean isOpen() {
        return state == OPEN;
    }

    /** {@return the thread this block is confined to, or {@code null} if any thread may use it} */
    public Thread ownerThread() {
        return ownerThread;
    }

    /**
     * Hands the block to {@code newOwner}: the returned handle owns it and is confined to that
     * thread; this one is dead.
     *
     * @param newOwner the thread that will own the block
     * @return the new handle
     * @throws UseAfterFreeException if the block was closed
     * @throws IllegalStateException if the block was moved already
     * @throws WrongThreadException if the block is confined to a thread other than the caller
     */
    public MemoryBlock moveTo(Thread newOwner) {
        return transfer(java.util.Objects.requireNonNull(newOwner, "newOwner"));
    }

    /**
     * Hands the block to a new, unconfined handle; this one is dead.
     *
     * @return the new handle
     * @throws UseAfterFreeException if the block was closed
     * @throws IllegalStateException if the block was moved already
     * @throws WrongThreadException if the block is confined to a thread other than the caller
     */
    public MemoryBlock move() {
        return transfer(null);
    }

    private MemoryBlock transfer(Thread newOwner) {
        checkThread();
        if (!STATE.compareAndSet(this, OPEN, MOVED)) {
            throw dead();
        }
        try {
            blocks.released(tracker, this);
            return blocks.adopt(handle, byteSize, newOwner, tracker == null ? null : tracker.site, false);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Frees the block. Idempotent: does nothing on a block already closed or moved.
     *
     * @throws WrongThreadException if the block is confined to another thread
     */
    @Override
    public void close() {
        checkThread();
        if (!STATE.compareAndSet(this, OPEN, CLOSED)) {
            return;
        }
        try {
            blocks.freed(this, tracker);
            blocks.allocator().free(handle);
        } finally {
            Reference.reachabilityFence(this); // not collectable (and reported) while closing
        }
    }

    private void checkUsable() {
        checkThread();
        if (state != OPEN) {
            throw dead();
        }
    }

    private void checkThread() {
        if (ownerThread != null && ownerThread != Thread.currentThread()) {
            throw new WrongThreadException("memory block is confined to another thread: owner=" + ownerThread
                    + ", caller=" + Thread.currentThread() + ", block=" + this);
        }
    }

    private RuntimeException dead() {
        if (state == CLOSED) {
            return new UseAfterFreeException("memory block used after close: block=" + this);
        }
        return new IllegalStateException("memory block used after move: ownership was handed to another handle: block="
                + this);
    }

    @Override
    public String toString() {
        String s = switch (state) {
            case OPEN -> "open";
            case CLOSED -> "closed";
            default -> "moved";
        };
        return "MemoryBlock[handle=0x" + Long.toHexString(handle) + ", byteSize=" + byteSize + ", state=" + s
                + ", allocator=" + blocks.allocator().name() + "]";
    }
}
