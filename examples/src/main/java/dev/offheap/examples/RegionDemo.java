package dev.offheap.examples;

import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.allocator.region.Region;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reserves a region, fills a bump arena with messages, and prints what the region reports at each
 * step: reserved address space is free, committed memory follows use.
 */
public final class RegionDemo {
    private RegionDemo() {
    }

    public static void main(String[] args) {
        try (Region region = Region.builder().name("demo").build();
             BumpArena arena = BumpArena.ofConfined(region)) {
            report("reserved", region);
            long checksum = 0;
            for (int i = 0; i < 100_000; i++) {
                MemorySegment message = arena.allocate(64, 8);
                message.set(ValueLayout.JAVA_LONG, 0, i);
                checksum += message.get(ValueLayout.JAVA_LONG, 0);
            }
            report("after 100000 x 64 B", region);
            arena.reset();
            report("after reset", region);
            System.out.printf("checksum=%d, arena used=%d B%n", checksum, arena.usedBytes());
        }
    }

    private static void report(String step, Region region) {
        System.out.printf("%-20s reserved=%,d B committed=%,d B used=%,d B%n", step,
                region.reservedBytes(), region.committedBytes(), region.usedBytes());
    }
}
