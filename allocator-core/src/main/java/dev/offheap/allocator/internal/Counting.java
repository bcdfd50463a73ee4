package dev.offheap.allocator.internal;

/**
 * The one switch for the counters on allocation hot paths, read once at class initialisation so
 * the JIT folds it: {@code -Ddev.offheap.metrics.counting=false} turns hot-path counting off (the
 * counters then read 0), for measuring what counting costs. Slow-path counts (failures, misuse,
 * commits) are always kept.
 *
 * <p>Thread-safety: immutable.
 */
public final class Counting {
    /** Whether hot paths count; {@code true} unless the system property says {@code false}. */
    public static final boolean ENABLED =
            !"false".equalsIgnoreCase(System.getProperty("dev.offheap.metrics.counting", "true"));

    private Counting() {
    }
}
