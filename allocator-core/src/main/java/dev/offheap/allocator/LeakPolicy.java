package dev.offheap.allocator;

/**
 * What an allocator's {@code close()} does with blocks still live, beyond releasing everything.
 *
 * <p>Thread-safety: immutable.
 */
public enum LeakPolicy {
    /** Report them (the leak listener, the JFR leak event, the {@code leaks} count) and return. The default. */
    REPORT,
    /**
     * Report them, release everything as {@link #REPORT} does, and then throw {@link LeakException}
     * listing every block still live: for test suites, where a leak must fail the test.
     */
    THROW
}
