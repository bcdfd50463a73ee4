package dev.offheap.stress;

import java.util.function.LongSupplier;

/**
 * Waits, a bounded while, for another actor to publish a handle through a volatile field. An
 * actor must not wait for another without bound: jcstress may run it without its partner (its
 * resource check does), and an unbounded spin then hangs the whole run.
 *
 * <p>Thread-safety: stateless.
 */
public final class Published {
    /** Spins before giving up (a few ms of PAUSE): far longer than the partner takes when both run, short enough for a resource check over thousands of states. */
    private static final long MAX_SPINS = 1L << 16;

    private Published() {
    }

    /** {@return the handle {@code field} reads once it is not 0, or 0 if it stayed 0 for {@value #MAX_SPINS} spins} */
    public static long await(LongSupplier field) {
        for (long spins = 0; spins < MAX_SPINS; spins++) {
            long handle = field.getAsLong();
            if (handle != 0) {
                return handle;
            }
            Thread.onSpinWait();
        }
        return 0;
    }
}
