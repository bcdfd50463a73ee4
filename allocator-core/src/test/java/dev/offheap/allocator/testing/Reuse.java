package dev.offheap.allocator.testing;

import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.Handles;

import java.util.ArrayList;
import java.util.List;

/** Brings a freed block's memory back, for tests of what a reused block holds. */
public final class Reuse {
    private static final int MAX_ATTEMPTS = 1 << 13;

    private Reuse() {
    }

    /**
     * Allocates blocks of {@code size} until one lands where {@code freed} was (same kind, same
     * location), frees the others, and returns that one. The slab's free lists are sharded, so a
     * freed slot comes back once its page's allocation list has run dry, not on the next call.
     */
    public static long reuseOf(HandleAllocator allocator, long size, long freed) {
        List<Long> others = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_ATTEMPTS; i++) {
                long h = allocator.allocate(size);
                if (Handles.kind(h) == Handles.kind(freed) && Handles.location(h) == Handles.location(freed)) {
                    return h;
                }
                others.add(h);
            }
            throw new AssertionError("the slot of " + Handles.toString(freed) + " never came back");
        } finally {
            others.forEach(allocator::free);
        }
    }
}
