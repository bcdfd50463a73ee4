package dev.offheap.allocator.large;

import dev.offheap.allocator.HeapCorruptionException;
import dev.offheap.allocator.region.Region;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Large blocks in checked mode: bounded to the request, a canary checked on free, segments that die at free. */
@Timeout(60)
class LargeBlockCheckedModeTest {
    private static final long MiB = 1L << 20;

    private static Region newRegion() {
        return Region.builder().name("large-checked-region").reserve(64 * MiB).decay(Duration.ofHours(1)).build();
    }

    @Test
    void aSegmentKeptAfterFreeThrowsWhereUncheckedItWouldStillRead() {
        try (Region region = newRegion();
             LargeBlockAllocator large = LargeBlockAllocator.builder().region(region).checked(true).build()) {
            long a = large.allocate(3 * MiB);
            assertEquals(3 * MiB, large.byteSize(a));
            MemorySegment kept = large.segment(a);
            assertEquals(3 * MiB, kept.byteSize());
            kept.set(ValueLayout.JAVA_BYTE, 3 * MiB - 1, (byte) 1);
            large.free(a);
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
        }
        try (Region region = newRegion(); LargeBlockAllocator plain = LargeBlockAllocator.builder().region(region).build()) {
            long a = plain.allocate(3 * MiB);
            MemorySegment kept = plain.segment(a);
            plain.free(a);
            assertDoesNotThrow(() -> kept.get(ValueLayout.JAVA_BYTE, 0), "positive control: unchecked, it aliases the idle run");
        }
    }

    @Test
    void aRequestOfWholeChunksGetsAChunkMoreForItsCanaryAndAnOverrunIsCaughtOnFree() {
        try (Region region = newRegion();
             LargeBlockAllocator large = LargeBlockAllocator.builder().region(region).checked(true).build()) {
            long a = large.allocate(2 * MiB);
            assertEquals(4 * MiB, large.snapshot().usedBytes(), "two chunks: the canary needs room");
            MemorySegment.ofAddress(large.segment(a).address()).reinterpret(2 * MiB + 8)
                    .set(ValueLayout.JAVA_BYTE, 2 * MiB + 7, (byte) 0); // raw: the escape hatch
            HeapCorruptionException e = assertThrows(HeapCorruptionException.class, () -> large.free(a));
            assertTrue(e.getMessage().contains("buffer overrun"), e.getMessage());
            assertFalse(large.isLive(a));
            assertEquals(1, large.snapshot().corruptions());
            long b = large.allocate(MiB);
            large.free(b);
            assertEquals(1, large.snapshot().corruptions(), "an intact canary is not reported");
            assertEquals(large.maxBlockBytes() + 8, region.reservedBytes());
            assertThrows(IllegalArgumentException.class, () -> large.allocate(region.reservedBytes()));
        }
    }
}
