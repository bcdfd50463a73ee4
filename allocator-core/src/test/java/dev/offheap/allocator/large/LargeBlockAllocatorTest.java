package dev.offheap.allocator.large;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.testing.ResidentMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LargeBlockAllocatorTest {
    private static final long MiB = 1L << 20;

    private static long resident(Region region) {
        return ResidentMemory.ofRange(region.baseAddress(), region.reservedBytes());
    }

    @Test
    void eachBlockHasItsOwnChunkAlignedSpanAndItsPagesGoBackOnFree() {
        try (LargeBlockAllocator large = LargeBlockAllocator.builder().reserve(256 * MiB).build()) {
            long a = large.allocate(3 * MiB);
            long b = large.allocate(MiB + 1);
            assertEquals(4 * MiB, large.byteSize(a), "whole chunks");
            MemorySegment sa = large.segment(a);
            assertEquals(0, sa.address() % large.region().chunkBytes());
            assertEquals(-1, sa.asSlice(0, MiB).mismatch(MemorySegment.ofArray(new byte[(int) MiB])), "zeroed");
            sa.fill((byte) 7);
            large.segment(b).fill((byte) 8);
            assertEquals(2 * MiB, large.byteSize(b));
            assertTrue(resident(large.region()) >= 6 * MiB);
            large.free(a);
            // Decay zero in its own region: a's pages are gone now, b's stay.
            long after = resident(large.region());
            assertTrue(after >= 2 * MiB && after < 3 * MiB, "resident after free=" + after);
            assertThrows(IllegalStateException.class, () -> sa.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(8, large.segment(b).get(ValueLayout.JAVA_BYTE, MiB));
            assertEquals(1, large.snapshot().liveBlocks());
            assertEquals(2 * MiB, large.snapshot().usedBytes());
            large.free(b);
            assertEquals(0, large.region().committedBytes());
        }
    }

    @Test
    void aSegmentKeptPastFreeInASharedRegionReadsUntilTheRegionDecommitsAndThenThrows() {
        try (Region region = Region.builder().reserve(64 * MiB).decay(Duration.ofHours(1)).build();
             LargeBlockAllocator large = LargeBlockAllocator.builder().region(region).build()) {
            long a = large.allocate(3 * MiB);
            MemorySegment kept = large.segment(a);
            large.free(a);
            assertThrows(UseAfterFreeException.class, () -> large.segment(a), "the handle is dead at once");
            long b = large.allocate(3 * MiB); // the idle run is lent again, with its scope
            large.segment(b).set(ValueLayout.JAVA_LONG, 0, 42L);
            assertEquals(42L, kept.get(ValueLayout.JAVA_LONG, 0), "aliases the next block, never unmapped memory");
            large.free(b);
            assertEquals(4 * MiB, region.trim());
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_LONG, 0));
        }
    }

    @Test
    void staleInteriorAndForeignHandlesAreToldApart() {
        try (LargeBlockAllocator large = LargeBlockAllocator.builder().reserve(64 * MiB).build()) {
            long a = large.allocate(2 * MiB);
            large.free(a);
            assertThrows(DoubleFreeException.class, () -> large.free(a));
            assertThrows(UseAfterFreeException.class, () -> large.segment(a));
            assertThrows(UseAfterFreeException.class, () -> large.byteSize(a));
            long b = large.allocate(2 * MiB);
            assertEquals(Handles.location(a), Handles.location(b));
            assertNotEquals(a, b);
            assertThrows(DoubleFreeException.class, () -> large.free(a));
            long interior = Handles.pack(Handles.KIND_LARGE, Handles.tag(b), Handles.generation(b), Handles.location(b) + 1);
            assertThrows(ForeignPointerException.class, () -> large.free(interior));
            long nextChunk = Handles.pack(Handles.KIND_LARGE, Handles.tag(b), 1, Handles.location(b) + (2 * MiB >> 4));
            assertThrows(ForeignPointerException.class, () -> large.free(nextChunk));
            long freeList = Handles.pack(Handles.KIND_FREE_LIST, Handles.tag(b), Handles.generation(b), Handles.location(b));
            assertThrows(ForeignPointerException.class, () -> large.free(freeList));
            assertThrows(ForeignPointerException.class, () -> large.segment(Handles.NULL));
            assertThrows(ForeignPointerException.class, () ->
                    large.free(Handles.pack(Handles.KIND_LARGE, Handles.tag(b), 1, Handles.LOCATION_MASK)));
            assertTrue(large.isLive(b));
            assertFalse(large.isLive(a));
            assertEquals(2, large.snapshot().doubleFrees());
            assertEquals(2, large.snapshot().useAfterFrees());
            large.free(b);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, 64 * MiB + 1, Long.MAX_VALUE})
    void badSizesAreRefused(long size) {
        try (LargeBlockAllocator large = LargeBlockAllocator.builder().reserve(64 * MiB).build()) {
            assertThrows(IllegalArgumentException.class, () -> large.allocate(size));
            assertEquals(0, large.region().committedBytes());
        }
    }

    @Test
    void limitOfASharedRegionSurfacesAsOutOfMemoryAndTheAllocatorCarriesOn() {
        try (Region region = Region.builder().reserve(64 * MiB).limit(8 * MiB).decay(Duration.ofHours(1)).build();
             LargeBlockAllocator large = LargeBlockAllocator.builder().region(region).build()) {
            var e = assertThrows(OutOfOffHeapMemoryException.class, () -> large.allocate(16 * MiB));
            assertEquals(8 * MiB, e.limitBytes());
            assertEquals(1, large.snapshot().failedAllocations());
            long h = large.allocate(8 * MiB);
            large.free(h);
            assertEquals(8 * MiB, region.committedBytes(), "idle inside the decay delay");
            large.trim();
            assertEquals(0, region.committedBytes());
        }
    }

    @Test
    void closedAllocatorRefusesEverythingAndReportsLeaks() {
        LargeBlockAllocator large = LargeBlockAllocator.builder().reserve(64 * MiB).build();
        long h = large.allocate(MiB);
        large.close();
        large.close();
        assertEquals(1, large.snapshot().leaks());
        assertTrue(large.region().isClosed());
        assertThrows(IllegalStateException.class, () -> large.allocate(MiB));
        assertThrows(IllegalStateException.class, () -> large.free(h));
        assertThrows(IllegalStateException.class, () -> large.segment(h));
        assertFalse(large.isLive(h));
    }
}
