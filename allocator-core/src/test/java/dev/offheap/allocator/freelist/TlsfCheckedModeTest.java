package dev.offheap.allocator.freelist;

import dev.offheap.allocator.HeapCorruptionException;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.testing.ForkedJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The free list's checked mode: poison verified on reuse, canaries, a scope per block. */
@Timeout(120)
class TlsfCheckedModeTest {
    private static final long MiB = 1L << 20;

    private static TlsfAllocator checked(Region region) {
        return TlsfAllocator.builder().name("tlsf-checked").region(region).checked(true).build();
    }

    private static Region newRegion() {
        return Region.builder().name("tlsf-checked-region").reserve(64 * MiB).build();
    }

    @Test
    void aSegmentKeptAfterFreeResizeOrCloseThrowsAndEachIsBoundedToTheRequest() {
        try (Region region = newRegion()) {
            TlsfAllocator tlsf = checked(region);
            long a = tlsf.allocate(100);
            assertEquals(100, tlsf.byteSize(a));
            MemorySegment kept = tlsf.segment(a);
            assertEquals(100, kept.byteSize());
            tlsf.putInt(a, 96, 7);
            assertThrows(IndexOutOfBoundsException.class, () -> tlsf.putLong(a, 96, 1L), "the accessors stop at the request");
            assertEquals(7, kept.get(ValueLayout.JAVA_INT, 96), "positive control: the segment works while live");
            tlsf.free(a);
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));

            long b = tlsf.allocate(64);
            tlsf.putLong(b, 0, 42L);
            MemorySegment beforeResize = tlsf.segment(b);
            long moved = tlsf.resize(b, 32);
            assertNotEquals(b, moved, "checked resize always moves");
            assertEquals(42L, tlsf.getLong(moved, 0), "the bytes both sizes share are kept");
            assertEquals(32, tlsf.byteSize(moved));
            assertThrows(IllegalStateException.class, () -> beforeResize.get(ValueLayout.JAVA_BYTE, 0));
            assertFalse(tlsf.isLive(b));

            MemorySegment atClose = tlsf.segment(moved);
            tlsf.close();
            assertThrows(IllegalStateException.class, () -> atClose.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void aWriteAfterFreeIsCaughtWhenTheBlockIsHandedOutAgain() {
        try (Region region = newRegion(); TlsfAllocator tlsf = checked(region)) {
            long a = tlsf.allocate(64);
            long fence = tlsf.allocate(64); // keeps a's granules from merging with the span's free rest
            long address = tlsf.segment(a).address();
            tlsf.free(a);
            long again = tlsf.allocate(64);
            assertEquals(address, tlsf.segment(again).address(), "positive control: the freed place is reused");
            assertEquals(0, tlsf.segment(again).get(ValueLayout.JAVA_LONG, 0), "handed out zeroed over the poison");
            tlsf.free(again);

            MemorySegment.ofAddress(address).reinterpret(64).set(ValueLayout.JAVA_BYTE, 10, (byte) 1); // raw: the escape hatch
            HeapCorruptionException e = assertThrows(HeapCorruptionException.class, () -> tlsf.allocate(64));
            assertTrue(e.getMessage().contains("write after free") && e.getMessage().contains("byte 10"), e.getMessage());
            assertEquals(1, tlsf.snapshot().corruptions());
            long next = tlsf.allocate(64);
            assertEquals(address, tlsf.segment(next).address(), "the block was poisoned again and freed back");
            assertEquals(2, tlsf.snapshot().liveBlocks());
            tlsf.free(next);
            tlsf.free(fence);
            tlsf.verifyInvariants();
        }
    }

    @Test
    void anOverrunOfTheCanaryIsCaughtOnFreeAndTheBlockIsFreed() {
        try (Region region = newRegion(); TlsfAllocator tlsf = checked(region)) {
            long a = tlsf.allocate(100);
            MemorySegment.ofAddress(tlsf.segment(a).address()).reinterpret(101).set(ValueLayout.JAVA_BYTE, 100, (byte) 0);
            HeapCorruptionException e = assertThrows(HeapCorruptionException.class, () -> tlsf.free(a));
            assertTrue(e.getMessage().contains("buffer overrun") && e.getMessage().contains("byte 100"), e.getMessage());
            assertFalse(tlsf.isLive(a));
            assertEquals(1, tlsf.snapshot().corruptions());
            assertEquals(0, tlsf.snapshot().liveBlocks());
            long b = tlsf.allocate(100); // the canary bytes were poisoned again with the block
            tlsf.free(b);
            assertEquals(1, tlsf.snapshot().corruptions());
        }
    }

    @Test
    void checkedModeNeverPurgesFreeSpaceAndServesTheLargestRequestLessTheCanary() {
        try (Region region = newRegion(); TlsfAllocator tlsf = checked(region)) {
            long keep = tlsf.allocate(16);
            long big = tlsf.allocate(tlsf.maxBlockBytes());
            assertEquals(tlsf.maxBlockBytes(), tlsf.byteSize(big));
            assertThrows(IllegalArgumentException.class, () -> tlsf.allocate(tlsf.maxBlockBytes() + 1));
            tlsf.free(big);
            assertEquals(0, tlsf.purgeFreeBlocks(), "free bytes stay poisoned");
            tlsf.free(keep);
        }
        try (Region region = newRegion();
             TlsfAllocator plain = TlsfAllocator.builder().region(region).build()) {
            long keep = plain.allocate(16);
            plain.free(plain.allocate(plain.maxBlockBytes()));
            assertTrue(plain.purgeFreeBlocks() > 0, "positive control: unchecked, the free block is purged");
            plain.free(keep);
        }
    }

    /** Body for the child JVM: a thread writes through a checked block's segment while the region closes. */
    public static final class RegionCloseRacingWriterBody {
        public static void main(String[] args) throws Exception {
            for (int round = 0; round < 20; round++) {
                Region region = Region.builder().name("racing").reserve(64 * MiB).build();
                TlsfAllocator tlsf = checked(region);
                MemorySegment segment = tlsf.segment(tlsf.allocate(4096));
                CountDownLatch started = new CountDownLatch(1);
                AtomicReference<Throwable> unexpected = new AtomicReference<>();
                Thread writer = Thread.ofPlatform().start(() -> {
                    started.countDown();
                    try {
                        for (long i = 0; ; i++) {
                            segment.set(ValueLayout.JAVA_LONG, (i & 511) * 8, i);
                        }
                    } catch (IllegalStateException expected) {
                        // the block's scope closed before the region unmapped
                    } catch (Throwable t) {
                        unexpected.set(t);
                    }
                });
                started.await();
                region.close();
                writer.join();
                if (unexpected.get() != null) {
                    throw new AssertionError("the writer failed otherwise", unexpected.get());
                }
                tlsf.close();
            }
            System.out.println("every writer stopped with IllegalStateException");
        }
    }

    @Test
    void aWriterRacingTheRegionsCloseThrowsAndNeverCrashes() {
        ForkedJvm.Result r = ForkedJvm.run(RegionCloseRacingWriterBody.class);
        assertFalse(r.crashed(), r::describe);
        assertEquals(0, r.exitCode(), r::describe);
        assertTrue(r.output().contains("every writer stopped"), r::describe);
    }
}
