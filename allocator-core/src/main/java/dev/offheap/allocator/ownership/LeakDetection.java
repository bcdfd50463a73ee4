package dev.offheap.allocator.ownership;

/**
 * How closely {@link MemoryBlock}s are watched for leaks (a block that becomes unreachable while it
 * still owns memory), as Netty's {@code ResourceLeakDetector} levels.
 *
 * <p>Thread-safety: immutable.
 */
public enum LeakDetection {
    /** No block is watched: no cost, no report. Blocks still live at close are still counted. */
    DISABLED,
    /**
     * One block in {@link BlockAllocator.Builder#samplingInterval(int) N} (default
     * {@value BlockAllocator#DEFAULT_SAMPLING_INTERVAL}) is registered with a {@code Cleaner};
     * reports carry no allocation site. The default.
     */
    SAMPLED,
    /** Every block is registered, with the stack of its allocation: for tests and debugging. */
    PARANOID
}
