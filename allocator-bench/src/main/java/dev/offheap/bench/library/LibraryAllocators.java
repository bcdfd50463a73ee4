package dev.offheap.bench.library;

import dev.offheap.allocator.HandleAllocator;

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
     * The names {@link #open} knows, in the order the report lists them. Empty until the slab and
     * free-list allocators are merged: then add {@code "slab"} and {@code "tlsf"} here and to the
     * {@code @Param} of {@code LibraryState}.
     */
    public static final List<String> NAMES = List.of();

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
            // On merge, one line per allocator, e.g.:
            // case "slab": return SlabAllocator.builder().name("bench-slab").build();
            // case "tlsf": return TlsfAllocator.builder().name("bench-tlsf").build();
            default:
                throw new UnsupportedOperationException(
                        "library allocator not in this build: name=" + name + ", known=" + NAMES);
        }
    }
}
