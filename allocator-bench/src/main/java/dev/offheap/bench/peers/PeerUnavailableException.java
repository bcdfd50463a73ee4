package dev.offheap.bench.peers;

/**
 * Thrown when a peer cannot run on this JVM or machine (for example {@code Unsafe.allocateMemory}
 * denied by {@code --sun-misc-unsafe-memory-access=deny}, or a native library that does not load).
 * JMH reports it for that variant and goes on with the others; the report shows the variant as
 * not measured.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class PeerUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param peer  the peer's name
     * @param cause why it is unavailable
     */
    public PeerUnavailableException(String peer, Throwable cause) {
        super("peer unavailable on this JVM: peer=" + peer + " (" + cause + ")", cause);
    }
}
