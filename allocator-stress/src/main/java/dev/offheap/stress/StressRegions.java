package dev.offheap.stress;

import dev.offheap.allocator.region.Region;

import java.time.Duration;

/**
 * Regions shared by the jcstress tests. jcstress makes a fresh state object for every trial, far
 * too many to reserve a region each where the race does not need one, so tests that only need
 * "some region" share these, and give back in their arbiter what their actors took.
 *
 * <p>Thread-safety: the regions are thread-safe.
 */
public final class StressRegions {
    /** The chunk of every stress region: one 4 KiB page, so a trial commits as little as possible. */
    public static final long CHUNK = 4096;

    /**
     * One region for all trials of a run: 4 GiB reserved, a 256 MiB limit (trials that meet it
     * report it as an outcome of their own), an hour of decay so chunks are reused without syscalls.
     */
    public static final Region SHARED = Region.builder().name("jcstress-shared").reserve(4L << 30)
            .chunkSize(CHUNK).limit(256L << 20).decay(Duration.ofHours(1)).build();

    private StressRegions() {
    }

    /** {@return a small region of its own, for races that involve closing it} */
    public static Region small() {
        return Region.builder().name("jcstress-small").reserve(4 * CHUNK).chunkSize(CHUNK).build();
    }
}
