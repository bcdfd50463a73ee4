package dev.offheap.allocator.internal;

/**
 * The one place where arguments are validated. Messages read {@code rule: name=value}.
 *
 * <p>Thread-safety: stateless.
 */
public final class Checks {
    private Checks() {
    }

    /**
     * Validates an allocation request as {@code Arena.allocate} does: a size of zero is allowed.
     *
     * @param byteSize the requested size
     * @param byteAlignment the requested alignment
     * @param maxAlignment the largest alignment the allocator can honour
     * @throws IllegalArgumentException if the size is negative, or the alignment is not a power of
     *         two or exceeds {@code maxAlignment}
     */
    public static void checkSizeAndAlignment(long byteSize, long byteAlignment, long maxAlignment) {
        if (byteSize < 0) {
            throw new IllegalArgumentException("size must not be negative: byteSize=" + byteSize);
        }
        checkAlignment(byteAlignment, maxAlignment);
    }

    /**
     * Validates an alignment.
     *
     * @param byteAlignment the requested alignment
     * @param maxAlignment the largest alignment the allocator can honour
     * @throws IllegalArgumentException if it is not a positive power of two or exceeds the maximum
     */
    public static void checkAlignment(long byteAlignment, long maxAlignment) {
        if (byteAlignment <= 0 || (byteAlignment & (byteAlignment - 1)) != 0) {
            throw new IllegalArgumentException("alignment must be a power of two: byteAlignment=" + byteAlignment);
        }
        if (byteAlignment > maxAlignment) {
            throw new IllegalArgumentException("alignment must not exceed " + maxAlignment
                    + ": byteAlignment=" + byteAlignment);
        }
    }

    /**
     * Requires a power of two within bounds, for configuration values such as chunk sizes.
     *
     * @param name the setting's name, used in the message
     * @param value the value
     * @param min the smallest allowed value
     * @param max the largest allowed value
     * @return {@code value}
     * @throws IllegalArgumentException if the value is not a power of two in {@code [min, max]}
     */
    public static long checkPowerOfTwo(String name, long value, long min, long max) {
        if (value <= 0 || (value & (value - 1)) != 0 || value < min || value > max) {
            throw new IllegalArgumentException(name + " must be a power of two in [" + min + ", " + max
                    + "]: " + name + "=" + value);
        }
        return value;
    }

    /**
     * Requires a positive value.
     *
     * @param name the setting's name, used in the message
     * @param value the value
     * @return {@code value}
     * @throws IllegalArgumentException if {@code value <= 0}
     */
    public static long checkPositive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive: " + name + "=" + value);
        }
        return value;
    }

    /**
     * Requires a value that is zero or more.
     *
     * @param name the setting's name, used in the message
     * @param value the value
     * @return {@code value}
     * @throws IllegalArgumentException if {@code value < 0}
     */
    public static long checkNotNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative: " + name + "=" + value);
        }
        return value;
    }

    /** {@return {@code value} rounded up to a multiple of the power of two {@code alignment}}
     * Overflow is the caller's to rule out. */
    public static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
