package dev.offheap.allocator;

/**
 * A handle or address that this allocator never handed out
 * The message names the handle or address, the allocator and, where allocation-site tracking is on,
 * where the block was allocated. The allocator that throws it is unchanged and still usable.
 *
 * <p>Thread-safety: immutable.
 */
public class ForeignPointerException extends OffHeapException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened, as {@code rule: name=value, ...}
     */
    public ForeignPointerException(String message) {
        super(message);
    }

    /**
     * @param message what happened, as {@code rule: name=value, ...}
     * @param allocationSite where the block was allocated, or {@code null} where tracking is off
     */
    public ForeignPointerException(String message, Throwable allocationSite) {
        super(message, allocationSite);
    }
}
