package dev.offheap.allocator.facade;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The {@link OffHeapArena}s still open, per {@link OffHeap}, so that closing an {@code OffHeap}
 * closes their scopes before it frees or unmaps anything: an arena's segments are bound to the
 * arena's scope only, not to the region's, so they would outlive the memory otherwise.
 *
 * <p>Kept outside {@code OffHeap} so the façade needs no field for it: a static map, weak in its
 * keys ({@code OffHeap} keeps identity equality), so a closed {@code OffHeap} is still collected.
 * Once an {@code OffHeap} starts closing its entry is marked, and no arena opens over it any more:
 * one opened between the arenas' close and the unmap would outlive the memory.
 *
 * <p>Thread-safety: thread-safe; one lock over the map, never held while an arena closes.
 */
final class OpenArenas {
    /** Per {@code OffHeap}: its open arenas, and whether it is closing. Guarded by itself. */
    private static final Map<OffHeap, Entry> OPEN = new WeakHashMap<>();

    private static final class Entry {
        final Set<OffHeapArena> arenas = new LinkedHashSet<>();
        boolean closing;
    }

    private OpenArenas() {
    }

    /**
     * Opens a new arena over {@code memory} and records it.
     *
     * @throws IllegalStateException if {@code memory} is closed or closing
     */
    static OffHeapArena open(OffHeap memory) {
        OffHeapArena arena = new OffHeapArena(memory);
        synchronized (OPEN) {
            Entry entry = OPEN.computeIfAbsent(memory, m -> new Entry());
            if (entry.closing || memory.region().isClosed()) {
                throw new IllegalStateException("allocator is closed: allocator=" + memory.name());
            }
            entry.arenas.add(arena);
        }
        return arena;
    }

    /** Drops a closed arena. */
    static void forget(OffHeap memory, OffHeapArena arena) {
        synchronized (OPEN) {
            Entry entry = OPEN.get(memory);
            if (entry != null && entry.arenas.remove(arena) && entry.arenas.isEmpty() && !entry.closing) {
                OPEN.remove(memory);
            }
        }
    }

    /**
     * Marks {@code memory} closing (no arena opens over it from now on) and closes every arena of it
     * still open.
     *
     * @throws IllegalStateException if an arena's segment is in use by a native call; the arenas
     *         that could close are closed, the others stay open and recorded
     */
    static void closeAll(OffHeap memory) {
        List<OffHeapArena> arenas;
        synchronized (OPEN) {
            Entry entry = OPEN.computeIfAbsent(memory, m -> new Entry());
            entry.closing = true;
            arenas = new ArrayList<>(entry.arenas);
        }
        IllegalStateException busy = null;
        for (OffHeapArena arena : arenas) {
            try {
                arena.closeIfOpen();
            } catch (IllegalStateException e) {
                if (busy == null) {
                    busy = e;
                } else {
                    busy.addSuppressed(e);
                }
            }
        }
        if (busy != null) {
            throw busy;
        }
    }

    /** {@return the arenas of {@code memory} still open} */
    static int openCount(OffHeap memory) {
        synchronized (OPEN) {
            Entry entry = OPEN.get(memory);
            return entry == null ? 0 : entry.arenas.size();
        }
    }
}
