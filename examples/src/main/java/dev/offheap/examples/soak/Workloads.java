package dev.offheap.examples.soak;

import java.util.List;

/**
 * The workloads the soak mixes. Each allocator joins with one line here.
 *
 * <p>Thread-safety: stateless.
 */
public final class Workloads {
    private Workloads() {
    }

    /** {@return a fresh instance of every workload} */
    public static List<SoakWorkload> all() {
        return List.of(
                new RegionWorkload(),
                new BumpWorkload(),
                new OffHeapWorkload()
        );
    }
}
