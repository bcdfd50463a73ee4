package dev.offheap.allocator.internal;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.MisuseListener;
import dev.offheap.allocator.OffHeapException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.jfr.OffHeapEvents;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The one classification and report of a handle that failed an allocator's live check, used by
 * every allocator (slab, free list, large blocks, budgets): an allocator tests its own metadata on
 * the fast path ({@link Handles#hasShape} and a generation compare), and only when that fails hands
 * what it knows of the handle's location to {@link #reject}, which decides which misuse it is,
 * counts it, records the JFR event and builds the exception.
 *
 * <p>The generation rule (see {@link Handles}): a location's generations start at 1 and go up by one
 * at each free; a retired location's current generation is {@link #RETIRED_LOCATION}. So, for a
 * handle of generation {@code g} at a location whose current generation is {@code c}:
 * <ul>
 *   <li>not at a block's first byte but inside one: {@link Misuse#INTERIOR};</li>
 *   <li>{@code g == 0}, {@code c == 0} (no block was ever there) or {@code g > c}: never handed out,
 *       {@link Misuse#FOREIGN};</li>
 *   <li>otherwise the block it named was freed: {@link Misuse#DOUBLE_FREE} when freeing,
 *       {@link Misuse#STALE} for any other use.</li>
 * </ul>
 *
 * <p>Every misuse is also handed to the optional {@link MisuseListener} given at construction,
 * after it is counted and before the exception is returned.
 *
 * <p>Thread-safety: thread-safe; counters are atomic (misuse is the cold path).
 */
public final class HandleCheck {
    /** The current generation to pass for a retired location: above every generation a handle has. */
    public static final int RETIRED_LOCATION = Handles.MAX_GENERATION + 1;

    /** What a handle that is not live is. */
    public enum Misuse {
        /** A free of a block already freed. */
        DOUBLE_FREE,
        /** Any other use of a block already freed. */
        STALE,
        /** A handle this allocator never made. */
        FOREIGN,
        /** A handle that points inside a block of this allocator, not at its start. */
        INTERIOR
    }

    private final String allocator;
    /** Null when none: the cold path pays one null check. */
    private final MisuseListener listener;
    private final AtomicLong doubleFrees = new AtomicLong();
    private final AtomicLong useAfterFrees = new AtomicLong();
    private final AtomicLong foreignHandles = new AtomicLong();

    /** @param allocator the allocator's name, for messages and events */
    public HandleCheck(String allocator) {
        this(allocator, null);
    }

    /**
     * @param allocator the allocator's name, for messages and events
     * @param listener hears of every misuse caught, or null for none
     */
    public HandleCheck(String allocator, MisuseListener listener) {
        this.allocator = allocator;
        this.listener = listener == MisuseListener.NONE ? null : listener;
    }

    /**
     * {@return which misuse a handle that failed the live check is}
     *
     * @param handle the handle
     * @param currentGeneration the current generation of the handle's location: of the live block
     *        there, or the one the next block there will get; 0 if no block ever started there;
     *        {@link #RETIRED_LOCATION} if the location is retired
     * @param interior whether the location lies inside a live block without being its start
     * @param freeing whether the handle was passed to a free
     */
    public static Misuse classify(long handle, int currentGeneration, boolean interior, boolean freeing) {
        if (interior) {
            return Misuse.INTERIOR;
        }
        int g = Handles.generation(handle);
        if (g == 0 || currentGeneration == 0 || g > currentGeneration) {
            return Misuse.FOREIGN;
        }
        return freeing ? Misuse.DOUBLE_FREE : Misuse.STALE;
    }

    /**
     * Classifies, counts and reports a handle that failed the live check, and returns the exception
     * to throw. Never throws itself.
     *
     * @param handle the handle
     * @param currentGeneration as for {@link #classify}
     * @param interior as for {@link #classify}
     * @param freeing as for {@link #classify}
     * @param blockBytes the size of the block the location holds or held, 0 if unknown
     * @param allocationSite where the block was allocated, or null if untracked
     * @return a {@link DoubleFreeException}, {@link UseAfterFreeException} or
     *         {@link ForeignPointerException}
     */
    public RuntimeException reject(long handle, int currentGeneration, boolean interior, boolean freeing,
                                   long blockBytes, Throwable allocationSite) {
        Misuse misuse = classify(handle, currentGeneration, interior, freeing);
        String where = ": handle=" + Handles.toString(handle) + ", allocator=" + allocator
                + (currentGeneration > 0 ? ", currentGeneration=" + currentGeneration : "");
        return switch (misuse) {
            case DOUBLE_FREE, STALE -> freed(freeing, handle, where, blockBytes, allocationSite);
            case INTERIOR -> foreign(handle, "points inside a block, not at its start");
            case FOREIGN -> foreign(handle, "not made by this allocator");
        };
    }

    /**
     * Counts and reports a handle the allocator knows named one of its blocks that was freed, when it
     * cannot read the location's current generation (a child allocator, which keeps only its live
     * handles), and returns the exception to throw. Never throws itself.
     *
     * @param handle the handle
     * @param freeing whether the handle was passed to a free ({@link Misuse#DOUBLE_FREE}) or to any
     *        other use ({@link Misuse#STALE})
     * @param blockBytes the size of the block it named, 0 if unknown
     * @return a {@link DoubleFreeException} or {@link UseAfterFreeException}
     */
    public RuntimeException rejectFreed(long handle, boolean freeing, long blockBytes) {
        return freed(freeing, handle, ": handle=" + Handles.toString(handle) + ", allocator=" + allocator,
                blockBytes, null);
    }

    private OffHeapException freed(boolean freeing, long handle, String where, long blockBytes,
                                   Throwable allocationSite) {
        if (freeing) {
            countDoubleFree(handle, blockBytes);
            return heard(new DoubleFreeException("double free: block already freed" + where, allocationSite));
        }
        useAfterFrees.incrementAndGet();
        OffHeapEvents.emitUseAfterFree(allocator, handle, blockBytes);
        return heard(new UseAfterFreeException("use after free: block already freed" + where, allocationSite));
    }

    private <E extends OffHeapException> E heard(E misuse) {
        if (listener != null) {
            MisuseListener.deliver(listener, allocator, misuse);
        }
        return misuse;
    }

    /**
     * {@return a {@link ForeignPointerException}, counted} for a handle the allocator can tell is not
     * its own before looking at any location (wrong shape, location out of range).
     *
     * @param handle the handle
     * @param why a short phrase: {@code not a slab handle}, {@code location outside the region}, …
     */
    public ForeignPointerException foreign(long handle, String why) {
        foreignHandles.incrementAndGet();
        return heard(new ForeignPointerException("foreign handle: " + why + ": handle=" + Handles.toString(handle)
                + ", allocator=" + allocator));
    }

    /**
     * Counts a double free found without an exception to throw (a free that lost a race with another
     * free of the same block, found when the owner drains), and records its JFR event.
     *
     * @param handle the handle freed twice, or its location packed as a handle
     * @param blockBytes the block's size
     */
    public void countDoubleFree(long handle, long blockBytes) {
        doubleFrees.incrementAndGet();
        OffHeapEvents.emitDoubleFree(allocator, handle, blockBytes);
    }

    /** {@return double frees caught so far} */
    public long doubleFrees() {
        return doubleFrees.get();
    }

    /** {@return uses after free caught so far} */
    public long useAfterFrees() {
        return useAfterFrees.get();
    }

    /** {@return foreign and interior handles refused so far} */
    public long foreignHandles() {
        return foreignHandles.get();
    }
}
