package dev.offheap.bench;

import org.openjdk.jmh.annotations.Threads;

/**
 * {@link FixedSizeBenchmark} on two threads at once, each allocating and freeing its own blocks
 * from one shared allocator (the confined peers get one each). Compare the time per operation with
 * the one-thread figure: equal means the allocator scales (on two cores, with nothing else
 * running); more means the threads contend (a lock, a shared cache line, a CAS).
 */
@Threads(2)
public class TwoThreadScalingBenchmark extends FixedSizeBenchmark {
}
