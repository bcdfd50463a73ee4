package dev.offheap.allocator.region;

import dev.offheap.allocator.freelist.TlsfAllocator;
import dev.offheap.allocator.slab.SlabAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A long-lived region forgets the close tasks of allocators closed before it ({@link Region#forget}),
 * so it does not keep them reachable; a task not forgotten still runs at the region's close.
 */
@Timeout(60)
class RegionTasksTest {

    @Test
    void allocatorsClosedBeforeTheirRegionAreNotKeptReachableByIt() throws InterruptedException {
        try (Region region = Region.builder().name("long-lived").reserve(1L << 30).build()) {
            WeakReference<SlabAllocator> slab = closedSlabOver(region);
            WeakReference<TlsfAllocator> tlsf = closedCheckedTlsfOver(region);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while ((slab.get() != null || tlsf.get() != null) && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(20);
            }
            assertNull(slab.get(), "the region still holds the closed slab");
            assertNull(tlsf.get(), "the region still holds the closed checked free list");
        }
    }

    @Test
    void aTaskForgottenDoesNotRunAndOneKeptDoes() {
        AtomicInteger kept = new AtomicInteger();
        AtomicInteger forgotten = new AtomicInteger();
        Region region = Region.builder().name("tasks").reserve(1L << 30).build();
        Runnable keep = kept::incrementAndGet;
        Runnable drop = forgotten::incrementAndGet;
        region.onClose(keep);
        region.beforeUnmap(drop);
        region.forget(drop);
        region.close();
        assertEquals(1, kept.get(), "positive control: a task given and kept runs");
        assertEquals(0, forgotten.get());
        assertTrue(region.isClosed());
    }

    private static WeakReference<SlabAllocator> closedSlabOver(Region region) {
        SlabAllocator slab = SlabAllocator.builder().name("short-lived").region(region).build();
        slab.free(slab.allocate(64));
        slab.close();
        return new WeakReference<>(slab);
    }

    private static WeakReference<TlsfAllocator> closedCheckedTlsfOver(Region region) {
        TlsfAllocator tlsf = TlsfAllocator.builder().name("short-lived-checked").region(region).checked(true).build();
        tlsf.free(tlsf.allocate(64 << 10));
        tlsf.close();
        return new WeakReference<>(tlsf);
    }
}
