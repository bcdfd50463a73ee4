package dev.offheap.allocator;

/**
 * Base type of every exception this library throws for a failed or refused operation.
 *
 * <p>Thread-safety: immutable once constructed. After any {@code OffHeapException} the allocator
 * that threw it is still consistent and usable: nothing was half-done.
 */
public class OffHeapException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message that states the rule and the values.
     *
     * @param message what was refused and why, as {@code rule: name=value, ...}
     */
    public OffHeapException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and the failure it wraps.
     *
     * @param message what was refused and why
     * @param cause the underlying failure
     */
    public OffHeapException(String message, Throwable cause) {
        super(message, cause);
    }
}
