package dev.offheap.examples.soak;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the soak counts, from every thread.
 *
 * <p>Thread-safety: thread-safe ({@link LongAdder}s).
 */
public final class SoakStats {
    /** Operations done. */
    public final LongAdder operations = new LongAdder();
    /** Misuse injected on purpose and refused with the documented exception. */
    public final LongAdder errorsCaught = new LongAdder();
    /** Requests refused by a limit (out of memory), as documented. */
    public final LongAdder refusals = new LongAdder();
    /** Blocks whose bytes were not what their owner wrote, or not zero when handed out: must be 0. */
    public final LongAdder corruptions = new LongAdder();
    /** Exceptions nobody asked for: must be 0. */
    public final LongAdder unexpected = new LongAdder();

    /** Records an unexpected failure, printing the first few. */
    public void unexpected(Throwable e) {
        unexpected.increment();
        if (unexpected.sum() <= 5) {
            e.printStackTrace();
        }
    }
}
