package dev.offheap.allocator.budget;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.internal.Checks;
import dev.offheap.allocator.internal.LongHashSet;
import dev.offheap.allocator.metrics.AllocatorSnapshot;

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
 * the other way round), so children do not contend with each other except in the parent.
 *
 * <p>The child charges each block's usable bytes ({@link HandleAllocator#byteSize(long)} of the
 * parent) against its budget, and remembers its handles (a set without boxing) so it only frees
 * and reads blocks it made: a handle of the parent or of a sibling is foreign here. Closing the
 * child frees its blocks still live and reports them as leaks: their count and bytes in the
 * snapshot and a warning through {@link System.Logger}. Closing does not close the parent.
 */
public final class BudgetedAllocator implements HandleAllocator {
    private static final System.Logger LOG = System.getLogger(BudgetedAllocator.class.getName());

    private final HandleAllocator parent;
    private final String name;
    private final long limitBytes;
    private final Object lock = new Object();
    // Guarded by lock.
    private final LongHashSet handles = new LongHashSet();
    private long usedBytes;
    private long allocations;
    private long frees;
    private long failedAllocations;
    private long leaks;
    private long leakedBytes;
    private boolean closed;

    /**
     * Creates a child of {@code parent}.
     *
     * @param parent the allocator that serves the blocks
     * @param name the child's name, used in messages and metrics
     * @param limitBytes the most bytes the child's live blocks may hold
     * @throws IllegalArgumentException if {@code limitBytes <= 0}
     */
    public BudgetedAllocator(HandleAllocator parent, String name, long limitBytes) {
        this.parent = Objects.requireNonNull(parent, "parent");
        this.name = Objects.requireNonNull(name, "name");
        this.limitBytes = Checks.checkPositive("limitBytes", limitBytes);
    }

    @Override
    public String name() {
        return name;
    }

    /** {@return the budget, in bytes} */
    public long limitBytes() {
        return limitBytes;
    }

    /** {@return the bytes the child's live blocks hold now} */
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
     * @throws IllegalArgumentException if the parent refuses the size
     * @throws IllegalStateException if the child is closed
     */
    @Override
    public long allocate(long byteSize) {
        synchronized (lock) {
            ensureOpen();
            if (byteSize > 0 && byteSize > limitBytes - usedBytes) {
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
                parent.free(handle); // the parent rounded the block up past the budget
                throw overBudget(byteSize);
            }
            handles.add(handle);
            usedBytes += charged;
            allocations++;
            return handle;
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws DoubleFreeException if the block was freed already
     * @throws ForeignPointerException if the handle is not one of this child's live blocks and not
     *         a stale one the parent recognises
     * @throws IllegalStateException if the child is closed
     */
    @Override
    public void free(long handle) {
        synchronized (lock) {
            ensureOpen();
            checkOwned(handle, true);
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
     * @throws ForeignPointerException if the handle is not one of this child's blocks
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public MemorySegment segment(long handle) {
        synchronized (lock) {
            ensureOpen();
            checkOwned(handle, false);
            return parent.segment(handle);
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws UseAfterFreeException if the block was freed
     * @throws ForeignPointerException if the handle is not one of this child's blocks
     * @throws IllegalStateException if the allocator is closed
     */
    @Override
    public long byteSize(long handle) {
        synchronized (lock) {
            ensureOpen();
            checkOwned(handle, false);
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
     * {@return the child's figures} Memory figures are the child's live bytes; reservation and
     * decommit belong to the parent and read 0 here.
     */
    public AllocatorSnapshot snapshot() {
        synchronized (lock) {
            return new AllocatorSnapshot(name, "child", 0, usedBytes, usedBytes, handles.size(), allocations,
                    frees, 0, failedAllocations, 0, 0, 0, leaks, 0, List.of());
        }
    }

    /** {@return the bytes of the blocks reported leaked at close} */
    public long leakedBytes() {
        synchronized (lock) {
            return leakedBytes;
        }
    }

    /**
     * Frees the child's blocks still live through the parent and reports them as leaks (count and
     * bytes in the snapshot, a warning through {@link System.Logger}). Idempotent.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            leaks = handles.size();
            leakedBytes = usedBytes;
            if (leaks > 0) {
                LOG.log(System.Logger.Level.WARNING, "child allocator closed with live blocks: name={0}, "
                        + "leakedBlocks={1}, leakedBytes={2}", name, leaks, leakedBytes);
                handles.forEach(parent::free);
                handles.clear();
            }
            usedBytes = 0;
        }
    }

    /** A handle not in the set is stale if the parent says so (its own checks throw), else foreign. */
    private void checkOwned(long handle, boolean freeing) {
        if (handles.contains(handle)) {
            return;
        }
        if (!parent.isLive(handle)) {
            // Let the parent say what it is: freed (double free / use after free) or foreign.
            if (freeing) {
                parent.free(handle);
            } else {
                parent.byteSize(handle);
            }
        }
        throw new ForeignPointerException("handle not made by this child allocator: handle="
                + Handles.toString(handle) + ", allocator=" + name);
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
