package dev.offheap.allocator.region;

import dev.offheap.allocator.testing.ResidentMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
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

    @Test
    void aFailingPurgeOfOneRegionStopsNeitherItsOwnDecayNorAnotherRegionsAndIsCounted() throws InterruptedException {
        FaultyMemory kernel = new FaultyMemory().failAlways(FaultyMemory.Call.PURGE);
        Duration decay = Duration.ofMillis(300);
        try (Region failing = Region.builder().name("failing").reserve(64 * MiB).commitAhead(0).decay(decay)
                     .memory(kernel).build();
             Region healthy = Region.builder().name("healthy").reserve(64 * MiB).commitAhead(0).decay(decay).build()) {
            Span held = failing.acquire(2 * MiB);
            Span first = failing.acquire(2 * MiB);
            Span second = failing.acquire(2 * MiB);
            failing.purgeOnDecay(() -> failing.purge(held, 0, failing.pageSize()));
            failing.release(first);
            failing.requestPurge();
            healthy.release(healthy.acquire(2 * MiB));
            Thread.sleep(100);
            // Idle 100 ms later than the first: still inside the delay at the pass where the purge
            // fails, so only a rescheduled visit decays it.
            failing.release(second);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while ((failing.committedBytes() > 2 * MiB || healthy.committedBytes() > 0) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(kernel.injected(FaultyMemory.Call.PURGE) >= 1, "the purge pass ran and failed");
            assertEquals(2 * MiB, failing.committedBytes(), "both idle chunks of the failing region decayed");
            assertEquals(0, healthy.committedBytes(), "the other region decayed");
            assertTrue(failing.maintenanceFailures() >= 1, "failures=" + failing.maintenanceFailures());
            assertEquals(failing.maintenanceFailures(), failing.snapshot().maintenanceFailures());
            assertEquals(0, healthy.maintenanceFailures());
        }
    }

    @Test
    void anIdleRegionOnDefaultsGivesEveryIdleAndReadyChunkBackWithoutAnyCall() throws InterruptedException {
        try (Region region = Region.builder().commitAhead(Region.DEFAULT_CHUNK_BYTES).build()) {
            assertEquals(Duration.ofSeconds(10), Region.DEFAULT_DECAY);
            assertEquals(Region.DEFAULT_CHUNK_BYTES, region.commitAheadBytes(), "one chunk kept ready");
            for (int i = 0; i < 4; i++) {
                region.release(region.acquire(2 * MiB));
            }
            assertTrue(region.committedBytes() >= 2 * MiB, "committed inside the delay: " + region);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (region.committedBytes() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(0, region.committedBytes(), "idle and ready chunks given back after the default decay");
        }
    }
}
