package dev.offheap.examples.memcached;

/**
 * memcached's reading of an expiration time: 0 never expires; a negative value has expired
 * already; up to 30 days it is a number of seconds from now; above that it is an absolute Unix
 * time in seconds (and one in the past has expired already).
 *
 * <p>Thread-safety: stateless.
 */
final class Expiry {
    /** Relative expiration times go up to 30 days, as memcached's {@code REALTIME_MAXDELTA}. */
    static final long MAX_RELATIVE_SECONDS = 60L * 60 * 24 * 30;
    /** The deadline of an item that never expires. */
    static final long NEVER = 0;
    /** A deadline that has always passed (Unix second 1). */
    static final long ALREADY = 1;

    private Expiry() {
    }

    /**
     * @param exptime the expiration time as the client sent it
     * @param nowSeconds the server's clock, Unix seconds
     * @return the absolute deadline in Unix seconds, {@link #NEVER} or {@link #ALREADY}
     */
    static long deadline(long exptime, long nowSeconds) {
        if (exptime == 0) {
            return NEVER;
        }
        if (exptime < 0) {
            return ALREADY;
        }
        if (exptime > MAX_RELATIVE_SECONDS) {
            return exptime <= nowSeconds ? ALREADY : exptime;
        }
        return nowSeconds + exptime;
    }

    /** {@return whether an item with this deadline has expired at {@code nowSeconds}} */
    static boolean expired(long deadline, long nowSeconds) {
        return deadline != NEVER && deadline <= nowSeconds;
    }
}
