package dev.offheap.allocator;

import dev.offheap.allocator.jfr.OffHeapEvents;

/**
 * Receives leak reports. The default, {@link #logging()}, writes them to the {@code System.Logger}
 * named {@value #LOGGER_NAME} at {@code WARNING}, each allocation site as a stack trace.
 *
 * <p>Thread-safety: implementations must be thread-safe: reports arrive on the thread that closes an
 * allocator and on the {@code Cleaner}'s thread. A listener must not throw; what it throws is
 * ignored (logged at {@code DEBUG}) so a faulty listener cannot break a close.
 */
@FunctionalInterface
public interface LeakListener {
    /** The name of the default listener's logger. */
    String LOGGER_NAME = "dev.offheap.allocator.leak";

    /**
     * Called once per report.
     *
     * @param report what leaked
     */
    void leaked(LeakReport report);

    /** {@return the default listener: {@code System.Logger} {@value #LOGGER_NAME}, level WARNING} */
    static LeakListener logging() {
        return LoggingLeakListener.INSTANCE;
    }

    /**
     * Hands a report to a listener, never letting it throw, and records it as a JFR leak event.
     *
     * @param listener the listener
     * @param report the report
     */
    static void deliver(LeakListener listener, LeakReport report) {
        OffHeapEvents.emitLeak(report.allocator(), report.bytes(),
                report.allocationSites().isEmpty() ? null : report.allocationSites().getFirst());
        try {
            listener.leaked(report);
        } catch (RuntimeException | Error listenerFailure) {
            System.getLogger(LOGGER_NAME).log(System.Logger.Level.DEBUG, "leak listener threw", listenerFailure);
        }
    }
}

/** The default listener. Stateless. */
final class LoggingLeakListener implements LeakListener {
    static final LoggingLeakListener INSTANCE = new LoggingLeakListener();

    private LoggingLeakListener() {
    }

    @Override
    public void leaked(LeakReport report) {
        System.Logger logger = System.getLogger(LOGGER_NAME);
        if (report.allocationSites().isEmpty()) {
            logger.log(System.Logger.Level.WARNING, report.summary());
            return;
        }
        for (Throwable site : report.allocationSites()) {
            logger.log(System.Logger.Level.WARNING, report.summary(), site);
        }
    }
}
