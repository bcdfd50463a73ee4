package dev.offheap.allocator.region;

/**
 * TEST ONLY: measures a region's cold start in a fresh JVM, for {@code docs/region.md}: the time of
 * {@link Region.Builder#build()} and of the first {@link Region#acquire} (plus one write through the
 * span's segment) after it. Run it several times, each in a new JVM:
 * {@snippet lang=sh :
 * java --enable-native-access=ALL-UNNAMED -cp allocator-core/target/classes:allocator-core/target/test-classes \
 *     dev.offheap.allocator.region.RegionColdStartMain
 * }
 * With the argument {@code ahead} the region keeps one chunk committed ahead. Prints one line:
 * {@code build_us=… first_acquire_us=… second_acquire_us=…} (and two {@code MARK} lines, to find
 * with {@code -verbose:class} what the first acquire still loads).
 */
public final class RegionColdStartMain {
    private RegionColdStartMain() {
    }

    public static void main(String[] args) {
        long t0 = System.nanoTime();
        long ahead = args.length > 0 && args[0].equals("ahead") ? Region.DEFAULT_CHUNK_BYTES : 0;
        try (Region region = Region.builder().reserve(1L << 30).commitAhead(ahead).build()) {
            System.out.println("MARK built");
            long t1 = System.nanoTime();
            Span first = region.acquire(region.chunkBytes());
            first.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 1L);
            long t2 = System.nanoTime();
            System.out.println("MARK first acquired");
            Span second = region.acquire(region.chunkBytes());
            second.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 1L);
            long t3 = System.nanoTime();
            System.out.printf("build_us=%d first_acquire_us=%d second_acquire_us=%d%n",
                    (t1 - t0) / 1_000, (t2 - t1) / 1_000, (t3 - t2) / 1_000);
        }
    }
}
