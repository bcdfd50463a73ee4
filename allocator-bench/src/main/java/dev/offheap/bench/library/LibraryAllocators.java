package dev.offheap.bench.library;

import dev.offheap.allocator.facade.OffHeap;

import java.util.List;

/**
 * The one place the benchmarks get this library's allocators from, by name. Every workload's
 * {@code library} variant takes its allocator from here, so a new allocator is benchmarked
 * everywhere by adding one case below.
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

    private LibraryAllocators() {
    }

    /**
     * Opens a new allocator of this library on its defaults (reserve, decay, limit, leak
     * detection), with one exception: zeroing is off, because malloc, jemalloc, Netty and Unsafe
     * hand out old bytes too (equal work per block).
     *
     * @param name one of {@link #NAMES}
     * @return a new allocator, owned by the caller, who closes it
     * @throws UnsupportedOperationException if no allocator of that name is in this build
     */
    public static OffHeap open(String name) {
        switch (name) {
            case "offheap":
                return OffHeap.builder().name("bench-offheap").zeroing(false).build();
            default:
                throw new UnsupportedOperationException(
                        "library allocator not in this build: name=" + name + ", known=" + NAMES);
        }
    }
}
