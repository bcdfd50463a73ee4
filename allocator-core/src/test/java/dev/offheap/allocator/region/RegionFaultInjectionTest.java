package dev.offheap.allocator.region;

import dev.offheap.allocator.NativeCallException;
import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.allocator.region.FaultyMemory.Call;
import dev.offheap.allocator.testing.Patterns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kernel call a region makes, made to fail through {@link FaultyMemory}: each failure
 * surfaces as the documented {@link NativeCallException}, the region's counters keep telling the
 * kernel's truth (the ledger of {@link FaultyMemory}), nothing leaks, and the region keeps serving
 * from what it has.
 */
@Timeout(120)
class RegionFaultInjectionTest {
    private static final long CHUNK = 64 << 10;

    private static Region.Builder builder(FaultyMemory memory) {
        return Region.builder().name("faulty").backgroundDecay(false).reserve(64 * CHUNK).chunkSize(CHUNK).decay(Duration.ofHours(1)).memory(memory);
    }

    /** The region's committed bytes are what the kernel really has committed. */
    private static void assertTruthful(Region region, FaultyMemory memory) {
        assertEquals(memory.committedBytes.get(), region.committedBytes(), "committed bytes drifted from the kernel's");
        assertTrue(region.usedBytes() <= region.committedBytes());
    }

    @Test
    void aRefusedReservationThrowsAndLeaksNothing() {
        FaultyMemory memory = new FaultyMemory().failNext(Call.RESERVE, 1);
        NativeCallException e = assertThrows(NativeCallException.class, () -> builder(memory).build());
        assertEquals("ENOMEM", e.errnoName());
        assertEquals(0, memory.reservations.get());
        try (Region region = builder(memory).build()) { // the next build succeeds
            assertEquals(1, memory.reservations.get());
            region.release(region.acquire(CHUNK));
        }
        assertEquals(0, memory.reservations.get(), "close unmaps");
    }

    @ParameterizedTest
    @EnumSource(value = Call.class, names = {"COMMIT", "POPULATE", "HUGE_PAGES"})
    void aRefusedCommitChangesNothingAndTheRegionServesFromWhatItHas(Call call) {
        FaultyMemory memory = new FaultyMemory();
        try (Region region = builder(memory).hugePages(true).build()) {
            Span kept = region.acquire(CHUNK);
            Patterns.fill(kept.segment(), 1);
            Span idle = region.acquire(2 * CHUNK);
            region.release(idle); // two idle committed chunks to serve from
            long committed = region.committedBytes();
            long used = region.usedBytes();

            memory.failAlways(call);
            assertThrows(NativeCallException.class, () -> region.acquire(4 * CHUNK), "needs fresh chunks");
            assertEquals(committed, region.committedBytes());
            assertEquals(used, region.usedBytes());
            assertTruthful(region, memory);
            assertTrue(memory.injected(call) > 0);

            Span fromIdle = region.acquire(CHUNK); // served from an idle chunk: no kernel call
            assertEquals(idle.address(), fromIdle.address());
            assertTrue(Patterns.holds(kept.segment(), 1), "the kept span is untouched");
            memory.heal();
            Span fresh = region.acquire(4 * CHUNK);
            assertTruthful(region, memory);
            region.release(fresh);
            region.release(fromIdle);
            region.release(kept);
            region.trim();
            assertEquals(0, region.committedBytes());
            assertTruthful(region, memory);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Call.class, names = {"COMMIT", "POPULATE"})
    void aRefusedSecondSubRunUndoesTheFirst(Call call) {
        FaultyMemory memory = new FaultyMemory();
        try (Region region = builder(memory).build()) {
            Span d0 = region.acquire(CHUNK);
            Span d1 = region.acquire(CHUNK);
            region.release(d0);
            region.trim();          // chunk 0 free
            region.release(d1);     // chunk 1 idle, committed
            assertEquals(CHUNK, region.committedBytes());
            // The run 0..2 commits in two sub-runs, chunk 0 then chunk 2; the second is refused.
            memory.failAfter(call, 1);
            assertThrows(NativeCallException.class, () -> region.acquire(3 * CHUNK));
            assertEquals(1, memory.injected(call));
            assertEquals(CHUNK, region.committedBytes(), "chunk 0 undone, only the idle chunk stays committed");
            assertEquals(0, region.usedBytes());
            assertTruthful(region, memory);
            memory.heal();
            Span all = region.acquire(3 * CHUNK);
            assertEquals(region.baseAddress(), all.address());
            assertFalse(all.zeroed(), "chunk 1 was reused");
            assertTruthful(region, memory);
        }
    }

    @Test
    void aRefusedPopulateWhoseUndoIsAlsoRefusedStaysCountedAndDecaysLater() {
        FaultyMemory memory = new FaultyMemory();
        AtomicLong now = new AtomicLong();
        try (Region region = builder(memory).decay(Duration.ofNanos(100)).nanoClock(now::get).build()) {
            memory.failNext(Call.POPULATE, 1).failNext(Call.DECOMMIT, 1);
            NativeCallException e = assertThrows(NativeCallException.class, () -> region.acquire(2 * CHUNK));
            assertTrue(e.call().startsWith("madvise(MADV_POPULATE_WRITE)"), "the first failure is reported: " + e);
            assertEquals(0, region.usedBytes());
            assertTruthful(region, memory); // the chunks the kernel kept committed are counted
            now.addAndGet(1_000);
            region.release(region.acquire(CHUNK)); // decay retries the decommit
            region.trim();
            assertEquals(0, region.committedBytes());
            assertTruthful(region, memory);
        }
    }

    @Test
    void aRefusedTrimThrowsAndKeepsTheChunksCommittedAndCounted() {
        FaultyMemory memory = new FaultyMemory();
        try (Region region = builder(memory).build()) {
            Span live = region.acquire(CHUNK);
            region.release(region.acquire(3 * CHUNK));
            assertEquals(4 * CHUNK, region.committedBytes());
            memory.failAlways(Call.DECOMMIT);
            assertThrows(NativeCallException.class, region::trim);
            assertEquals(4 * CHUNK, region.committedBytes());
            assertEquals(CHUNK, region.usedBytes());
            assertTruthful(region, memory);
            Span reused = region.acquire(3 * CHUNK); // idle chunks still serve
            region.release(reused);
            memory.heal();
            assertEquals(3 * CHUNK, region.trim());
            assertTruthful(region, memory);
            region.release(live);
        }
    }

    @Test
    void aRefusedBackgroundDecayIsCountedAndRetriedLater() {
        FaultyMemory memory = new FaultyMemory();
        try (Region region = builder(memory).decay(Duration.ZERO).build()) {
            memory.failAlways(Call.DECOMMIT);
            Span span = region.acquire(2 * CHUNK);
            region.release(span); // decay runs now and is refused: not the caller's problem
            assertEquals(1, region.decommitFailures());
            assertEquals(2 * CHUNK, region.committedBytes());
            assertTruthful(region, memory);
            memory.heal();
            region.release(region.acquire(5 * CHUNK)); // the next decay retries and succeeds
            assertEquals(0, region.committedBytes());
            assertEquals(1, region.decommitFailures());
            assertTruthful(region, memory);
        }
    }

    @Test
    void aRefusedDecommitToMakeRoomUnderTheLimitThrowsAndChangesNothing() {
        FaultyMemory memory = new FaultyMemory();
        try (Region region = builder(memory).limit(4 * CHUNK).build()) {
            Span a = region.acquire(CHUNK);         // chunk 0
            Span b = region.acquire(2 * CHUNK);     // chunks 1, 2
            Span c = region.acquire(CHUNK);         // chunk 3: the limit is reached
            region.release(a);
            region.release(c);                       // chunks 0 and 3 idle
            memory.failAlways(Call.DECOMMIT);
            // Run 3..4 needs one chunk more: room is made by decommitting chunk 0, which is refused.
            assertThrows(NativeCallException.class, () -> region.acquire(2 * CHUNK));
            assertEquals(4 * CHUNK, region.committedBytes());
            assertEquals(2 * CHUNK, region.usedBytes());
            assertTruthful(region, memory);
            Span fromIdle = region.acquire(CHUNK);  // still serves from idle chunks
            memory.heal();
            region.release(fromIdle);
            Span room = region.acquire(2 * CHUNK);
            assertTrue(region.committedBytes() <= region.limitBytes());
            assertTruthful(region, memory);
            region.release(room);
            region.release(b);
        }
    }

    @Test
    void aRefusedUnmapAtCloseThrowsAndCloseCanBeRetried() {
        FaultyMemory memory = new FaultyMemory();
        Region region = builder(memory).build();
        MemorySegment segment = region.acquire(CHUNK).segment();
        memory.failNext(Call.RELEASE, 1);
        assertThrows(NativeCallException.class, region::close);
        assertTrue(region.isClosed(), "closed for use: no new work, no segment reaches the memory");
        assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> region.acquire(CHUNK));
        assertEquals(1, memory.reservations.get(), "still mapped: the kernel refused");
        region.close();
        assertEquals(0, memory.reservations.get(), "a second close unmaps");
        assertEquals(0, region.committedBytes());
    }

    @Test
    void aBumpArenaOverAFaultyRegionThrowsAndKeepsServing() {
        FaultyMemory memory = new FaultyMemory();
        try (Region region = builder(memory).build();
             BumpArena arena = BumpArena.ofConfined(region)) {
            MemorySegment first = arena.allocate(1000, 8);
            Patterns.fill(first, 3);
            long used = arena.usedBytes();
            memory.failAlways(Call.COMMIT);
            assertThrows(NativeCallException.class, () -> arena.allocate(2 * CHUNK, 8));
            assertEquals(used, arena.usedBytes());
            MemorySegment second = arena.allocate(1000, 8); // from the span it has
            assertTrue(Patterns.isZero(second));
            assertTrue(Patterns.holds(first, 3));
            memory.heal();
            assertEquals(2 * CHUNK, arena.allocate(2 * CHUNK, 8).byteSize());
            assertTruthful(region, memory);
        }
    }
}
