package dev.offheap.bench.library;

import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.facade.OffHeap;

import java.time.Duration;
import java.util.List;

/**
 * The one place the benchmarks get this library's {@link HandleAllocator}s from, by name. Every
 * workload's {@code library} variant takes its allocator from here, through the interface only, so
 * a new allocator is benchmarked everywhere by adding one case below.
 *
 * <p>Thread-safe (stateless). The allocators it makes state their own threading contract.
 */
public final class LibraryAllocators {
    /**
     * The names {@link #open} knows, in the order the report lists them: {@code offheap}, the
     * façade a service uses, which serves 64 B and 1 KiB from the slab, 256 KiB from the TLSF free
     * list, and random sizes from both.
     */
    public static final List<String> NAMES = List.of("offheap");

    /**
     * Decay of the benchmarked allocator: 1 s, so the resident-memory scenario (which idles 2 s in
     * quick mode) sees memory given back, as a service with that setting would.
     */
    static final Duration DECAY = Duration.ofSeconds(1);

    private LibraryAllocators() {
    }

    /**
     * Opens a new allocator of this library.
     *
     * @param name one of {@link #NAMES}
     * @return a new allocator, owned by the caller, who closes it
     * @throws UnsupportedOperationException if no allocator of that name is in this build
     */
    public static HandleAllocator open(String name) {
        switch (name) {
            // Zeroing off: malloc, jemalloc, Netty and Unsafe hand out old bytes too (equal work).
            case "offheap":
                return OffHeap.builder().name("bench-offheap").zeroing(false).decay(DECAY).build();
            default:
                throw new UnsupportedOperationException(
                        "library allocator not in this build: name=" + name + ", known=" + NAMES);
        }
    }
}
