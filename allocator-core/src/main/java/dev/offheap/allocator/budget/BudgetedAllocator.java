package dev.offheap.allocator.budget;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.LeakListener;
import dev.offheap.allocator.MisuseListener;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.internal.Checks;
import dev.offheap.allocator.internal.HandleCheck;
import dev.offheap.allocator.internal.LeakReporter;
import dev.offheap.allocator.internal.LongHashSet;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.MeteredAllocator;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * A child allocator: serves from a parent {@link HandleAllocator} under a budget of its own, with
 * its own accounting, as Apache Arrow's child {@code BufferAllocator}s do. A service gives each
 * tenant or subsystem one; a child over its budget is refused while the parent and the other
 * children carry on.
 *
 * <p>Thread-safety: thread-safe. Each call takes the child's own lock, then the parent's (never
 * the other way round), so children do not contend with each other except in the parent. A free's
 * check and the parent's free happen under the child's lock, so of two frees of one handle racing
 * through the child exactly one frees the block and the other is a double free.
 *
 * <p>The child charges each block's usable bytes ({@link HandleAllocator#byteSize(long)} of the
 * parent) against its budget, and remembers its live handles (a set without boxing) so it only
 * frees and reads blocks it holds.
 *
 * <h2>Misuse</h2>
 * A handle the child does not hold is classified, counted and reported by the child's own
 * {@code HandleCheck} (its snapshot, its JFR events, its {@link MisuseListener}); the parent is only
 * asked {@link HandleAllocator#isLive(long)}, which changes and counts nothing there. The handle is
 * <ul>
 *   <li>foreign ({@link ForeignPointerException}) if the parent holds it live (a block of the
 *       parent or of a sibling) or if it lacks the shape (kind and tag, see {@link Handles}) of every
 *       handle the child was ever given;</li>
 *   <li>otherwise a block already freed: {@link DoubleFreeException} on free,
 *       {@link UseAfterFreeException} on any other use. A freed handle of a sibling of the same
 *       parent has that shape too, so it is reported as freed, not foreign: the child keeps no
 *       record of freed handles, which would grow without bound.</li>
 * </ul>
 * A child's block freed through the parent directly, behind the child's back, is the caller's
 * misuse: the parent reports the child's later free of it, and the child's accounts keep the block
 * until the child closes.
 *
 * <h2>Close</h2>
 * Closing the child reports its blocks still live as leaks, once, through its leak listener (and
 * the JFR leak event, and {@code leaks} in its snapshot), and refuses every later call with
 * {@link IllegalStateException}. It does <em>not</em> free those blocks: a segment taken from one may
 * still be reachable, and freeing would let the parent's next allocation land under it. They stay
 * allocated in the parent, where a segment taken from them keeps reaching memory no one else is
 * given, until the parent's own close frees them (and reports them among the parent's blocks still
 * live). Closing does not close the parent.
 *
 * {@snippet :
 * try (OffHeap memory = OffHeap.builder().build();
 *      BudgetedAllocator tenant = memory.newChild("tenant-a", 64L << 20)) {
 *     long handle = tenant.allocate(4096);   // charged against tenant-a's 64 MiB
 *     tenant.free(handle);
 * }
 * }
 */
public final class BudgetedAllocator implements HandleAllocator, MeteredAllocator {
    private final HandleAllocator parent;
    private final String name;
    private final long limitBytes;
    private final HandleCheck check;
    private final LeakReporter leakReporter;
    private final Object lock = new Object();
    // Guarded by lock.
    private final LongHashSet handles = new LongHashSet();
    /** Bit {@code kind << 5 | tag} set for every shape of handle the parent gave this child. */
    private long shapesLow;
    private long shapesHigh;
    private long usedBytes;
    private long allocations;
    private long frees;
    private long failedAllocations;
    private boolean closed;

    /**
     * Creates a child of {@code parent} whose leak reports go to {@link LeakListener#logging()}.
     *
     * @param parent the allocator that serves the blocks
     * @param name the child's name, used in messages and metrics
     * @param limitBytes the most bytes the child's live blocks may hold
     * @throws IllegalArgumentException if {@code limitBytes <= 0}
     */
    public BudgetedAllocator(HandleAllocator parent, String name, long limitBytes) {
        this(parent, name, limitBytes, LeakListener.logging(), MisuseListener.NONE);
    }

    /**
     * Creates a child of {@code parent}.
     *
     * @param parent the allocator that serves the blocks
     * @param name the child's name, used in messages and metrics
     * @param limitBytes the most bytes the child's live blocks may hold
     * @param leakListener receives the report of blocks still live at close
     * @param misuseListener hears of every misuse the child catches ({@link MisuseListener#NONE}
     *        for none)
     * @throws IllegalArgumentException if {@code limitBytes <= 0}
     */
    public BudgetedAllocator(HandleAllocator parent, String name, long limitBytes, LeakListener leakListener,
                             MisuseListener misuseListener) {
        this.parent = Objects.requireNonNull(parent, "parent");
        this.name = Objects.requireNonNull(name, "name");
        this.limitBytes = Checks.checkPositive("limitBytes", limitBytes);
        this.check = new HandleCheck(name, Objects.requireNonNull(misuseListener, "misuseListener"));
        this.leakReporter = new LeakReporter(name, leakListener);
    }

    @Override
    public String name() {
        return name;
    }

    /** {@return the budget, in bytes} */
    public long limitBytes() {
        return limitBytes;
    }

    /** {@return the bytes the child's live blocks hold now; 0 once closed} */
    public long usedBytes() {
        synchronized (lock) {
            return usedBytes;
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws OutOfOffHeapMemoryException if the block would take the child over its budget (the
     *         message gives the name, limit, usage and request), or the parent is out of memory
     * @throws IllegalArgumentException if {@code byteSize} is not positive, exceeds the whole budget
     *         (no free could make room for it) or the parent refuses the size
     * @throws IllegalStateException if the child is closed
     */
    @Override
    public long allocate(long byteSize) {
        Checks.checkPositive("byteSize", byteSize);
        if (byteSize > limitBytes) {
            throw new IllegalArgumentException("byteSize must not exceed the child's budget: byteSize=" + byteSize
                    + ", limit=" + limitBytes + ", allocator=" + name);
        }
        synchronized (lock) {
            ensureOpen();
            if (byteSize > limitBytes - usedBytes) {
                throw overBudget(byteSize);
            }
            long handle;
            try {
                handle = parent.allocate(byteSize);
            } catch (OutOfOffHeapMemoryException e) {
                failedAllocations++;
                throw e;
            }
            long charged = parent.byteSize(handle);
            if (charged > limitBytes - usedBytes) {
                parent.free(handle); // the parent rounded the block up past the budget; no one saw it
                throw overBudget(byteSize);
            }
            handles.add(handle);
            int shape = (int) (handle >>> Handles.TAG_SHIFT); // kind << 5 | tag: 7 bits
            if (shape < 64) {
                shapesLow |= 1L << shape;
            } else {
                shapesHigh |= 1L << (shape - 64);
            }
            usedBytes += charged;
            allocations++;
            return handle;
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws DoubleFreeException if the handle has the shape of this child's handles but names no
     *         block the child holds (see the class comment)
     * @throws ForeignPointerException if the handle is another allocator's
     * @throws IllegalStateException if the child is closed
     */
    @Override
    public void free(long handle) {
        synchronized (lock) {
            ensureOpen();
            checkHeld(handle, true);
            long bytes = parent.byteSize(handle);
            parent.free(handle);
            handles.remove(handle);
            usedBytes -= bytes;
            frees++;
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if the handle is another allocator's
     * @throws IllegalStateException if the child is closed
     */
    @Override
    public MemorySegment segment(long handle) {
        synchronized (lock) {
            ensureOpen();
            checkHeld(handle, false);
            return parent.segment(handle);
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if the handle is another allocator's
     * @throws IllegalStateException if the child is closed
     */
    @Override
    public long byteSize(long handle) {
        synchronized (lock) {
            ensureOpen();
            checkHeld(handle, false);
            return parent.byteSize(handle);
        }
    }

    /** {@inheritDoc} False once the child is closed. */
    @Override
    public boolean isLive(long handle) {
        synchronized (lock) {
            return !closed && handles.contains(handle) && parent.isLive(handle);
        }
    }

    /**
     * {@return the child's figures} Memory figures are the child's live bytes (0 once closed);
     * reservation and decommit belong to the parent and read 0 here. Misuse counts are the child's
     * own; {@code leaks} counts the blocks still live at close.
     */
    @Override
    public AllocatorSnapshot snapshot() {
        synchronized (lock) {
            return new AllocatorSnapshot(name, "child", 0, usedBytes, usedBytes, handles.size(), allocations,
                    frees, 0, failedAllocations, check.doubleFrees(), check.useAfterFrees(), 0,
                    leakReporter.leakedBlocks(), 0, List.of());
        }
    }

    /** {@return the bytes of the blocks reported leaked at close} */
    public long leakedBytes() {
        return leakReporter.leakedBytes();
    }

    /** {@return handles refused as foreign so far} */
    public long foreignHandles() {
        return check.foreignHandles();
    }

    /**
     * Reports the child's blocks still live as leaks, once (its leak listener, the JFR leak event,
     * {@code leaks} in the snapshot), and refuses every later call. The blocks stay allocated in the
     * parent until the parent closes (see the class comment), so no segment taken from them ever
     * reaches another block. Idempotent.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            leakReporter.outstandingAtClose(handles.size(), usedBytes, List.of());
            handles.clear();
            usedBytes = 0;
        }
    }

    /** Throws the child's own misuse exception for a handle it does not hold. */
    private void checkHeld(long handle, boolean freeing) {
        if (handles.contains(handle)) {
            return;
        }
        if (parent.isLive(handle)) {
            throw check.foreign(handle, "a live block of the parent or of a sibling, not of this child");
        }
        int shape = (int) (handle >>> Handles.TAG_SHIFT);
        boolean seen = handle > 0 && (shape < 64 ? (shapesLow >>> shape & 1) != 0 : (shapesHigh >>> (shape - 64) & 1) != 0);
        if (!seen) {
            throw check.foreign(handle, "not made by this child allocator");
        }
        throw check.rejectFreed(handle, freeing, 0);
    }

    private OutOfOffHeapMemoryException overBudget(long requested) {
        failedAllocations++;
        return new OutOfOffHeapMemoryException("child budget exceeded", name, requested, limitBytes,
                usedBytes, usedBytes);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("allocator is closed: allocator=" + name);
        }
    }
}
