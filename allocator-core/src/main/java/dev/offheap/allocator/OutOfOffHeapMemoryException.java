package dev.offheap.allocator;

/**
 * An allocation could not be served because the reservation is exhausted or the limit on
 * committed bytes would be exceeded. The message gives the request, the limit and the usage.
 *
 * <p>It is a {@link RuntimeException}, not an {@link OutOfMemoryError}: the allocator that throws it
 * stays consistent, and a service may shed load and carry on.
 *
 * <p>Thread-safety: immutable.
 */
public final class OutOfOffHeapMemoryException extends OffHeapException {
    private static final long serialVersionUID = 1L;

    private final long requestedBytes;
    private final long limitBytes;
    private final long committedBytes;

    /**
     * Creates the exception.
     *
     * @param reason which bound was hit, as a short phrase ("limit on committed bytes reached")
     * @param name the allocator or region name
     * @param requestedBytes the bytes asked for
     * @param limitBytes the bound that was hit, in bytes
     * @param committedBytes the bytes committed when the request failed
     * @param usedBytes the bytes in use when the request failed
     */
    public OutOfOffHeapMemoryException(String reason, String name, long requestedBytes, long limitBytes,
                                       long committedBytes, long usedBytes) {
        super("out of off-heap memory, " + reason + ": name=" + name + ", requested=" + requestedBytes
                + ", limit=" + limitBytes + ", committed=" + committedBytes + ", used=" + usedBytes);
        this.requestedBytes = requestedBytes;
        this.limitBytes = limitBytes;
        this.committedBytes = committedBytes;
    }

    /** {@return the bytes that were asked for} */
    public long requestedBytes() {
        return requestedBytes;
    }

    /** {@return the bound that was hit, in bytes} */
    public long limitBytes() {
        return limitBytes;
    }

    /** {@return the bytes committed when the request failed} */
    public long committedBytes() {
        return committedBytes;
    }
}
