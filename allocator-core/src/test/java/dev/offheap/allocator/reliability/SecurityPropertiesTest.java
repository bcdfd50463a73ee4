package dev.offheap.allocator.reliability;

import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;
import dev.offheap.allocator.testing.Patterns;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The security properties of the region and the bump arena, each stated in its test's name:
 * no bytes of a previous owner reach a new one unless zeroing is turned off; no allocator
 * metadata lives in memory a user can write; no segment reaches memory that is not committed.
 */
class SecurityPropertiesTest {
    private static final long CHUNK = 64 << 10;
    private static final byte SECRET = 0x5A;

    private static Region region() {
        return Region.builder().name("secure").reserve(32 * CHUNK).chunkSize(CHUNK).decay(Duration.ofHours(1)).build();
    }

    @Test
    void aNewArenaOnAnIdleChunkAPreviousOwnerFilledWithSecretsReadsOnlyZeros() {
        try (Region region = region()) {
            try (BumpArena previous = BumpArena.ofConfined(region)) {
                previous.allocate(CHUNK, 8).fill(SECRET); // the whole chunk
            }
            assertEquals(CHUNK, region.committedBytes(), "the chunk is idle, committed, and holds the secret");
            try (BumpArena next = BumpArena.ofConfined(region)) {
                long total = 0;
                while (total < CHUNK) {
                    MemorySegment block = next.allocate(4000, 8);
                    assertTrue(Patterns.isZero(block), "a previous owner's bytes leaked at offset " + total);
                    total += 4000;
                }
            }
        }
    }

    @Test
    void theRegionSaysWhenASpanIsNotKnownToBeZeroAndTheArenaActsOnIt() {
        try (Region region = region()) {
            Span span = region.acquire(CHUNK);
            assertTrue(span.zeroed(), "fresh from the kernel");
            span.segment().fill(SECRET);
            region.release(span);
            Span reused = region.acquire(CHUNK);
            assertEquals(span.address(), reused.address());
            assertFalse(reused.zeroed(), "a reused idle chunk is flagged as dirty for its new owner");
            region.release(reused);
            region.trim();
            Span recommitted = region.acquire(CHUNK);
            assertTrue(recommitted.zeroed(), "decommitted pages come back zero from the kernel");
            assertTrue(Patterns.isZero(recommitted.segment()));
        }
    }

    @Test
    void blocksReusedAfterAResetReadZeroUnlessZeroingIsTurnedOff() {
        try (Region region = region();
             BumpArena zeroing = BumpArena.ofConfined(region);
             BumpArena raw = BumpArena.builder().region(region).zeroing(false).build()) {
            zeroing.allocate(3000, 8).fill(SECRET);
            zeroing.reset();
            assertTrue(Patterns.isZero(zeroing.allocate(3000, 8)));
            raw.allocate(3000, 8).fill(SECRET);
            raw.reset();
            MemorySegment unzeroed = raw.allocate(3000, 8);
            assertEquals(SECRET, unzeroed.get(ValueLayout.JAVA_BYTE, 0), "zeroing(false) is the user's explicit choice");
        }
    }

    @Test
    void noMetadataLivesInUserBytesSoOverwritingEveryByteChangesNothing() {
        try (Region region = region();
             BumpArena arena = BumpArena.ofConfined(region)) {
            MemorySegment first = arena.allocate(100, 16);
            long mark = arena.mark();
            List<MemorySegment> blocks = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                blocks.add(arena.allocate(1 + i * 37 % 3000, 8));
            }
            long used = arena.usedBytes();
            long committed = region.committedBytes();
            // A user scribbling over every byte it was given (the worst a bug in user code can do
            // without leaving its blocks) and over the whole span the region lent.
            first.fill((byte) 0xFF);
            blocks.forEach(b -> b.fill((byte) 0xFF));
            Span span = region.acquire(CHUNK);
            span.segment().fill((byte) 0xFF);
            assertEquals(used, arena.usedBytes());
            assertEquals(committed + CHUNK, region.committedBytes());
            arena.reset(mark);
            MemorySegment again = arena.allocate(1, 8);
            assertEquals(blocks.get(0).address(), again.address(), "the cursor lives on the heap, untouched");
            region.release(span);
            assertEquals(arena.committedBytes(), region.usedBytes(), "region counts untouched");
            arena.reset();
            assertEquals(first.address(), arena.allocate(100, 16).address());
        }
    }

    @Test
    void noSegmentReachesMemoryThatIsNotCommittedAfterReleaseTrimOrClose() {
        Region region = region();
        Span released = region.acquire(2 * CHUNK);
        MemorySegment ofReleased = released.segment().asSlice(CHUNK, 64);
        region.release(released);
        // Released but still committed (idle): readable, aliasing the run; it throws once decommitted.
        ofReleased.get(ValueLayout.JAVA_BYTE, 0);
        region.trim();
        assertThrows(IllegalStateException.class, () -> ofReleased.set(ValueLayout.JAVA_BYTE, 0, (byte) 1), "after trim");

        BumpArena arena = BumpArena.ofConfined(region);
        MemorySegment block = arena.allocate(64, 8);
        long raw = arena.allocateAddress(64, 8);
        assertEquals(block.address() + 64, raw, "a raw address is the next block's first byte, with no bound or scope");
        Span live = region.acquire(CHUNK);
        MemorySegment ofLive = live.segment();
        arena.close();
        assertThrows(IllegalStateException.class, () -> block.get(ValueLayout.JAVA_BYTE, 0), "after the arena closed");
        region.close();
        assertThrows(IllegalStateException.class, () -> ofLive.get(ValueLayout.JAVA_BYTE, 0), "after the region closed");
        assertThrows(IllegalStateException.class, () -> ofLive.asSlice(0, 8).fill((byte) 0));
        assertThrows(IndexOutOfBoundsException.class, () -> released.segment().asSlice(0, 3 * CHUNK),
                "a span's segment is bounded to its bytes");
    }
}
