package dev.offheap.allocator;

/**
 * A call into the operating system failed. The message names the call, its arguments, the
 * {@code errno} name and its text, for example
 * {@code mmap(addr=0x0, len=4611686018427387904, prot=PROT_NONE, flags=MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, fd=-1, offset=0) failed: ENOMEM (Cannot allocate memory)}.
 *
 * <p>Thread-safety: immutable.
 */
public final class NativeCallException extends OffHeapException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;
    private final String errnoName;

    /**
     * Creates the exception for one failed call.
     *
     * @param call the call with its arguments, as written in the message
     * @param errno the raw {@code errno} value the call left
     * @param errnoName the symbolic name of {@code errno}, such as {@code ENOMEM}
     * @param errnoText the human text of {@code errno}
     */
    public NativeCallException(String call, int errno, String errnoName, String errnoText) {
        super(call + " failed: " + errnoName + " (" + errnoText + ")");
        this.call = call;
        this.errno = errno;
        this.errnoName = errnoName;
    }

    /** {@return the failed call with its arguments} */
    public String call() {
        return call;
    }

    /** {@return the raw errno value, as the running OS numbers it} */
    public int errno() {
        return errno;
    }

    /** {@return the symbolic errno name, such as {@code ENOMEM}} */
    public String errnoName() {
        return errnoName;
    }
}
