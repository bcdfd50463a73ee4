package dev.offheap.allocator;

/**
 * Hears of every misuse an allocator catches (double free, use after free, foreign or interior
 * handle), as it is caught and before the exception reaches the caller: for tests that want to
 * fail on any misuse, or a service that counts them by caller.
 *
 * <p>Thread-safety: implementations must be thread-safe: misuse is reported on the thread that made
 * it. A listener must not throw; what it throws is ignored (logged at {@code DEBUG}), so the caller
 * still gets the allocator's own exception.
 *
 * {@snippet :
 * List<OffHeapException> seen = new CopyOnWriteArrayList<>();
 * BudgetedAllocator child = new BudgetedAllocator(parent, "tenant", 1 << 20,
 *         LeakListener.logging(), (allocator, misuse) -> seen.add(misuse));
 * }
 */
@FunctionalInterface
public interface MisuseListener {
    /** A listener that does nothing. */
    MisuseListener NONE = (allocator, misuse) -> { };

    /**
     * Called once per misuse caught.
     *
     * @param allocator the name of the allocator that caught it
     * @param misuse the exception the caller is about to get: a {@link DoubleFreeException},
     *        {@link UseAfterFreeException} or {@link ForeignPointerException}
     */
    void misused(String allocator, OffHeapException misuse);

    /**
     * Hands a misuse to a listener, never letting it throw.
     *
     * @param listener the listener
     * @param allocator the allocator's name
     * @param misuse the exception
     */
    static void deliver(MisuseListener listener, String allocator, OffHeapException misuse) {
        try {
            listener.misused(allocator, misuse);
        } catch (RuntimeException | Error listenerFailure) {
            System.getLogger(LeakListener.LOGGER_NAME).log(System.Logger.Level.DEBUG, "misuse listener threw",
                    listenerFailure);
        }
    }
}
