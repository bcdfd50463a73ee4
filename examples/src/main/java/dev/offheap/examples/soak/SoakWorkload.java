package dev.offheap.examples.soak;

import java.util.SplittableRandom;

/**
 * One kind of work the soak mixes in. The soak gives every thread one {@link Worker} of each
 * workload and calls them in turn; new allocators join by adding a workload to
 * {@link Workloads#all}.
 *
 * <p>Thread-safety: {@link #newWorker} may be called from any thread; each worker is used by one
 * thread only; {@link #leakedBytes()} and {@link #close()} are called once every worker finished.
 */
public interface SoakWorkload extends AutoCloseable {

    /** {@return a short name for the summary} */
    String name();

    /**
     * @param stats where the worker counts what it did
     * @return a worker for one thread
     */
    Worker newWorker(SoakStats stats);

    /** {@return the bytes still held by the allocator once every worker has finished: must be 0} */
    long leakedBytes();

    /** Gives everything back to the OS. */
    @Override
    void close();

    /** One thread's share of a workload. */
    interface Worker {
        /** Does one operation (allocate, write, check, free, misuse...). */
        void step(SplittableRandom random);

        /** Frees everything this worker still holds. */
        void finish();
    }
}
