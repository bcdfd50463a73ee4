package dev.offheap.allocator.region;

import dev.offheap.allocator.testing.ResidentMemory;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegionDecayDaemonTest {
    private static final long MiB = 1L << 20;

    @Test
    void idleChunksDecayWhileNobodyUsesTheRegion() throws InterruptedException {
        try (Region region = Region.builder().reserve(256 * MiB).decay(Duration.ofMillis(200)).build()) {
            Span span = region.acquire(16 * MiB);
            span.segment().fill((byte) 1);
            region.release(span);
            assertEquals(16 * MiB, region.committedBytes(), "inside the delay the chunks stay committed");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (region.committedBytes() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(0, region.committedBytes());
            long resident = ResidentMemory.ofRange(region.baseAddress(), region.reservedBytes());
            assertTrue(resident < MiB, "resident after decay=" + resident);
        }
    }

    @Test
    void aClosedRegionIsDroppedByTheDaemon() throws InterruptedException {
        Region region = Region.builder().reserve(64 * MiB).decay(Duration.ofMillis(100)).build();
        region.release(region.acquire(2 * MiB));
        assertTrue(RegionDecayDaemon.isScheduled(region), "idle chunks schedule the region");
        region.close();
        assertEquals(-1, region.decayNow());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (RegionDecayDaemon.isScheduled(region) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(RegionDecayDaemon.isScheduled(region), "a closed region is not visited again");
    }

    @Test
    void theDaemonHoldsRegionsWeaklySoAnUnclosedRegionCanBeCollected() throws InterruptedException {
        java.lang.ref.WeakReference<Region> ref = scheduleAndDrop();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ref.get() != null && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(null, ref.get(), "the daemon kept a region nobody references");
    }

    /** A region with idle chunks scheduled for an hour from now, referenced from nowhere else. */
    private static java.lang.ref.WeakReference<Region> scheduleAndDrop() {
        Region region = Region.builder().reserve(16 * MiB).decay(Duration.ofHours(1)).build();
        region.release(region.acquire(2 * MiB));
        assertTrue(RegionDecayDaemon.isScheduled(region));
        return new java.lang.ref.WeakReference<>(region);
    }
}
