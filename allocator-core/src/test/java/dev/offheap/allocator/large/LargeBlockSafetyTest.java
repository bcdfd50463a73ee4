package dev.offheap.allocator.large;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.LeakReport;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.testing.ForkedJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The large range's part of "safe by construction". */
@Timeout(120)
class LargeBlockSafetyTest {
    private static final long MiB = 1L << 20;

    @Test
    void aChunkPastTheLastGenerationIsRetiredAndItsStaleHandleNeverNamesALiveBlock() {
        try (Region region = Region.builder().reserve(64 * MiB).decay(Duration.ofHours(1)).build();
             LargeBlockAllocator large = LargeBlockAllocator.builder().region(region).build()) {
            long a = large.allocate(MiB);
            large.free(a);
            long again = large.allocate(MiB);
            assertEquals(Handles.location(a), Handles.location(again), "positive control: the chunk is reused");
            assertEquals(Handles.generation(a) + 1, Handles.generation(again), "one more per free");
            large.free(again);

            large.setGenerationForTest(Handles.location(a), Handles.MAX_GENERATION);
            long last = large.allocate(MiB);
            assertEquals(Handles.location(a), Handles.location(last));
            assertEquals(Handles.MAX_GENERATION, Handles.generation(last));
            large.free(last);
            assertEquals(2 * MiB, large.retiredBytes(), "the retired chunk's span is kept");
            long next = large.allocate(MiB);
            assertNotEquals(Handles.location(a), Handles.location(next), "no block starts at a retired chunk");
            assertThrows(DoubleFreeException.class, () -> large.free(last));
            assertThrows(UseAfterFreeException.class, () -> large.segment(last));
            assertFalse(large.isLive(last));
            assertTrue(large.isLive(next));
            large.free(next);
        }
    }

    @Test
    void blocksLiveAtCloseReachTheLeakListenerOnce() {
        List<LeakReport> reports = new CopyOnWriteArrayList<>();
        LargeBlockAllocator clean = LargeBlockAllocator.builder().name("clean").reserve(16 * MiB)
                .leakListener(reports::add).build();
        clean.free(clean.allocate(MiB));
        clean.close();
        assertTrue(reports.isEmpty(), "no report without a leak: " + reports);

        LargeBlockAllocator leaky = LargeBlockAllocator.builder().name("leaky").reserve(16 * MiB)
                .leakListener(reports::add).build();
        leaky.allocate(MiB);
        leaky.allocate(3 * MiB);
        leaky.close();
        leaky.close();
        assertEquals(1, reports.size(), reports::toString);
        assertEquals("leaky", reports.getFirst().allocator());
        assertEquals(2, reports.getFirst().blocks());
        assertEquals(6 * MiB, reports.getFirst().bytes());
        assertEquals(2, leaky.snapshot().leaks());
        assertEquals(0, leaky.snapshot().liveBlocks());
    }

    /** Body for the child JVM: closes the region under a large-block allocator, then calls everything. */
    public static final class RegionClosedBody {
        public static void main(String[] args) {
            Region region = Region.builder().name("closed-under-large").reserve(64 * MiB).build();
            LargeBlockAllocator large = LargeBlockAllocator.builder().region(region).build();
            long a = large.allocate(3 * MiB);
            MemorySegment kept = large.segment(a);
            region.close();
            expectRegionNamed(() -> large.allocate(MiB));
            expectRegionNamed(() -> large.free(a));
            expectRegionNamed(() -> large.segment(a));
            expectRegionNamed(() -> large.byteSize(a));
            expectRegionNamed(large::trim);
            if (large.isLive(a)) {
                throw new AssertionError("isLive after region close");
            }
            try {
                kept.set(ValueLayout.JAVA_LONG, 0, 1L);
                throw new AssertionError("a kept segment wrote to an unmapped region");
            } catch (IllegalStateException expected) {
                // the span's scope closed with the region
            }
            large.close();
            System.out.println("all calls threw");
        }

        private static void expectRegionNamed(Runnable call) {
            try {
                call.run();
            } catch (IllegalStateException e) {
                if (!e.getMessage().contains("region=closed-under-large")) {
                    throw new AssertionError("message does not name the region: " + e.getMessage(), e);
                }
                return;
            }
            throw new AssertionError("no IllegalStateException after region close");
        }
    }

    @Test
    void aRegionClosedUnderTheAllocatorMakesEveryCallThrowNamingIt() {
        ForkedJvm.Result r = ForkedJvm.run(RegionClosedBody.class);
        assertFalse(r.crashed(), r::describe);
        assertEquals(0, r.exitCode(), r::describe);
        assertTrue(r.output().contains("all calls threw"), r::describe);
    }

    @Test
    void theChunkTablesGrowWithTheHighestChunkUsedAndHandlesPastThemAreForeignOrStale() {
        try (Region region = Region.builder().name("large-growth").reserve(64L << 30).decay(Duration.ofHours(1)).build();
             LargeBlockAllocator large = LargeBlockAllocator.builder().region(region).build()) {
            long fresh = large.snapshot().metadataHeapBytes();
            assertTrue(fresh < 1024, "a 64 GiB reservation costs nothing on the heap until used: " + fresh);
            long first = large.allocate(MiB);
            long far = Handles.pack(Handles.KIND_LARGE, Handles.tag(first), 1, (60L << 30) >>> 4);
            assertFalse(large.isLive(far), "a chunk past the tables holds no block");
            assertThrows(dev.offheap.allocator.ForeignPointerException.class, () -> large.free(far),
                    "never handed out there");
            assertTrue(large.isLive(first), "positive control: a handle inside the tables");
            large.free(first);
            List<Long> blocks = new java.util.ArrayList<>();
            for (int i = 0; i < 100; i++) {
                blocks.add(large.allocate(3 * MiB)); // two chunks each: the tables double several times
            }
            assertTrue(large.snapshot().metadataHeapBytes() > fresh);
            for (long h : blocks) {
                assertTrue(large.isLive(h));
                large.free(h);
                assertThrows(DoubleFreeException.class, () -> large.free(h));
            }
        }
    }
}
