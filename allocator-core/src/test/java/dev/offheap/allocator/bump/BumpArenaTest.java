package dev.offheap.allocator.bump;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.region.Region;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BumpArenaTest {
    private static final long MiB = 1L << 20;

    @ParameterizedTest
    @ValueSource(longs = {1, 42, 20240601})
    void randomBlocksNeverOverlapAreAlignedAndHoldWhatIsWritten(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        try (BumpArena arena = BumpArena.builder().reserve(1L << 30).build()) {
            List<MemorySegment> blocks = new ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                long size = random.nextInt(10) == 0 ? random.nextLong(1, 300_000) : random.nextLong(0, 512);
                long alignment = 1L << random.nextInt(13);
                MemorySegment block = arena.allocate(size, alignment);
                assertEquals(size, block.byteSize());
                assertEquals(0, block.address() % alignment, "alignment=" + alignment);
                for (long b = 0; b < size; b++) {
                    assertEquals(0, block.get(ValueLayout.JAVA_BYTE, b), "fresh blocks are zeroed");
                }
                block.fill((byte) (i * 31 + 7));
                blocks.add(block);
            }
            for (int i = 0; i < blocks.size(); i++) {
                MemorySegment block = blocks.get(i);
                for (long b = 0; b < block.byteSize(); b++) {
                    assertEquals((byte) (i * 31 + 7), block.get(ValueLayout.JAVA_BYTE, b));
                }
            }
            List<MemorySegment> sorted = new ArrayList<>(blocks);
            sorted.sort(Comparator.comparingLong(MemorySegment::address));
            for (int i = 1; i < sorted.size(); i++) {
                MemorySegment prev = sorted.get(i - 1);
                assertTrue(prev.address() + prev.byteSize() <= sorted.get(i).address(), "blocks overlap");
            }
        }
    }

    @Test
    void resetToAMarkReusesTheMemoryAfterItAndZeroesItAgain() {
        try (BumpArena arena = BumpArena.ofConfined()) {
            long start = arena.allocate(100, 8).address();
            long mark = arena.mark();
            long used = arena.usedBytes();
            MemorySegment first = arena.allocate(256, 16);
            first.fill((byte) 0x5A);
            arena.allocate(4 * MiB, 8); // forces a second span
            arena.reset(mark);
            assertEquals(used, arena.usedBytes());
            MemorySegment again = arena.allocate(256, 16);
            assertEquals(first.address(), again.address());
            assertEquals(-1, again.mismatch(MemorySegment.ofArray(new byte[256])), "reused memory is zeroed");
            arena.reset();
            assertEquals(0, arena.usedBytes());
            assertEquals(start, arena.allocate(100, 8).address(), "a full reset starts at the first span again");
        }
    }

    @Test
    void marksFromAnotherArenaOrPastThePositionAreRefused() {
        try (BumpArena arena = BumpArena.ofConfined(); BumpArena other = BumpArena.ofConfined()) {
            arena.allocate(64, 8);
            other.allocate(64, 8);
            long foreign = other.mark();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> arena.reset(foreign));
            assertTrue(e.getMessage().startsWith("mark is not from this arena"), e.getMessage());
            long early = arena.mark();
            arena.allocate(64, 8);
            long late = arena.mark();
            arena.reset(early);
            assertThrows(IllegalArgumentException.class, () -> arena.reset(late));
            arena.reset(early); // still fine: at the position
            assertEquals(64, arena.usedBytes());
        }
    }

    @Test
    void badSizesAndAlignmentsAreRefusedAndTheArenaStillWorks() {
        try (BumpArena arena = BumpArena.ofConfined()) {
            IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> arena.allocate(-1, 8));
            assertEquals("size must not be negative: byteSize=-1", negative.getMessage());
            IllegalArgumentException notPow2 = assertThrows(IllegalArgumentException.class, () -> arena.allocate(8, 3));
            assertEquals("alignment must be a power of two: byteAlignment=3", notPow2.getMessage());
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(8, 0));
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(8, -8));
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(8, 4 * MiB));
            assertThrows(IllegalArgumentException.class, () -> arena.allocateAddress(-5, 8));
            assertEquals(0, arena.usedBytes());
            assertEquals(16, arena.allocate(16, 8).byteSize());
            assertEquals(0, arena.allocate(0, 1).byteSize());
        }
    }

    @Test
    void exhaustionGivesOutOfMemoryWithTheFiguresAndAResetRecovers() {
        try (Region region = Region.builder().name("small").reserve(8 * MiB).build();
             BumpArena arena = BumpArena.ofConfined(region)) {
            assertThrows(OutOfOffHeapMemoryException.class, () -> arena.allocate(Long.MAX_VALUE, 8));
            assertThrows(OutOfOffHeapMemoryException.class, () -> arena.allocate(9 * MiB, 8));
            int blocks = 0;
            OutOfOffHeapMemoryException e = null;
            while (e == null) {
                try {
                    arena.allocate(MiB, 8);
                    blocks++;
                } catch (OutOfOffHeapMemoryException oom) {
                    e = oom;
                }
            }
            assertTrue(blocks >= 6 && blocks <= 8, "blocks=" + blocks);
            assertTrue(e.getMessage().contains("name=small"), e.getMessage());
            assertTrue(e.getMessage().contains("limit=" + 8 * MiB), e.getMessage());
            arena.reset();
            assertEquals(MiB, arena.allocate(MiB, 8).byteSize());
        }
    }

    @Test
    void aRefusedGrowthLeavesTheArenaAsItWasAndNoStaleBytesLeak() {
        long chunk = 64 << 10;
        try (Region region = Region.builder().reserve(16 * chunk).chunkSize(chunk).limit(3 * chunk).build();
             BumpArena arena = BumpArena.ofConfined(region)) {
            arena.allocate(60 << 10, 8);            // span 0: one chunk
            arena.allocate(60 << 10, 8);            // span 1: two chunks; the limit is reached
            arena.reset();                           // both spans kept, span 1 spare
            arena.allocate(60 << 10, 8);
            long used = arena.usedBytes();
            // Span 1 is too short for this and the limit refuses a new span.
            assertThrows(OutOfOffHeapMemoryException.class, () -> arena.allocate(200 << 10, 8));
            assertEquals(used, arena.usedBytes(), "a refused growth uses nothing");
            MemorySegment secret = arena.allocate(1000, 1);
            assertEquals(region.baseAddress() + (60 << 10), secret.address(), "served from the current span");
            secret.fill((byte) 0x5A);
            arena.reset();
            arena.allocate(60 << 10, 8);
            MemorySegment next = arena.allocate(1000, 1);
            assertEquals(secret.address(), next.address());
            for (long i = 0; i < next.byteSize(); i++) {
                assertEquals(0, next.get(ValueLayout.JAVA_BYTE, i), "the previous owner's bytes must not leak");
            }
        }
    }

    @Test
    void whenTheLimitRefusesADoubledSpanTheArenaFallsBackToTheSpanTheRequestNeeds() {
        long chunk = 64 << 10;
        try (Region region = Region.builder().reserve(64 * chunk).chunkSize(chunk).limit(8 * chunk).build();
             BumpArena arena = BumpArena.ofConfined(region)) {
            arena.allocate(chunk, 8);           // span of 1 chunk
            arena.allocate(chunk, 8);           // span of 2 chunks, half used
            arena.allocate(2 * chunk, 8);       // span of 4 chunks, half used: 7 committed, limit 8
            arena.allocate(2 * chunk, 8);       // fills it
            // The next doubled span (8 chunks) does not fit under the limit, one chunk does.
            MemorySegment block = arena.allocate(100, 8);
            assertEquals(100, block.byteSize());
            assertEquals(8 * chunk, region.committedBytes());
            assertThrows(OutOfOffHeapMemoryException.class, () -> arena.allocate(chunk, 8), "now the limit is really reached");
        }
    }

    @Test
    void aLimitOnTheRegionBoundsTheArena() {
        try (Region region = Region.builder().name("capped").limit(4 * MiB).build();
             BumpArena arena = BumpArena.ofConfined(region)) {
            arena.allocate(3 * MiB, 8);
            OutOfOffHeapMemoryException e = assertThrows(OutOfOffHeapMemoryException.class,
                    () -> arena.allocate(3 * MiB, 8));
            assertTrue(e.getMessage().startsWith("out of off-heap memory, limit on committed bytes reached"), e.getMessage());
            assertEquals(4 * MiB, e.limitBytes());
            arena.reset();
            arena.allocate(3 * MiB, 8);
        }
    }

    @Test
    void aConfinedArenaRefusesOtherThreadsAndASharedOneServesThem() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (BumpArena confined = BumpArena.ofConfined();
             BumpArena shared = BumpArena.builder().shared(true).build()) {
            Future<?> refused = pool.submit(() -> confined.allocate(8, 8));
            Exception e = assertThrows(Exception.class, refused::get);
            assertTrue(e.getCause() instanceof WrongThreadException, String.valueOf(e.getCause()));
            List<Future<List<MemorySegment>>> results = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                results.add(pool.submit(() -> {
                    List<MemorySegment> mine = new ArrayList<>();
                    for (int i = 0; i < 10_000; i++) {
                        mine.add(shared.allocate(24, 8));
                    }
                    return mine;
                }));
            }
            List<MemorySegment> all = new ArrayList<>();
            for (Future<List<MemorySegment>> f : results) {
                all.addAll(f.get());
            }
            all.sort(Comparator.comparingLong(MemorySegment::address));
            for (int i = 1; i < all.size(); i++) {
                assertTrue(all.get(i - 1).address() + 24 <= all.get(i).address(), "blocks overlap");
            }
            assertEquals(20_000 * 24, shared.usedBytes());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void segmentsThrowAfterCloseAndTheArenaRefusesWork() {
        BumpArena arena = BumpArena.ofConfined();
        MemorySegment block = arena.allocate(32, 8);
        block.set(ValueLayout.JAVA_LONG, 0, 99L);
        arena.close();
        assertThrows(IllegalStateException.class, () -> block.get(ValueLayout.JAVA_LONG, 0));
        assertThrows(IllegalStateException.class, () -> arena.allocate(8, 8));
        assertThrows(IllegalStateException.class, arena::mark);
        arena.close(); // idempotent
    }

    @Test
    void anArenaOverASharedRegionGivesItsSpansBackOnClose() {
        try (Region region = Region.builder().reserve(1L << 30).build()) {
            BumpArena arena = BumpArena.ofConfined(region);
            arena.allocate(5 * MiB, 8);
            assertTrue(region.usedBytes() >= 5 * MiB);
            arena.close();
            assertEquals(0, region.usedBytes());
            assertFalse(region.isClosed());
        }
    }

    @Test
    void theRawPathAndSegmentAllocatorMethodsWork() {
        try (BumpArena arena = BumpArena.ofConfined()) {
            long address = arena.allocateAddress(64, 64);
            assertEquals(0, address % 64);
            MemorySegment text = arena.allocateFrom("off-heap");
            assertEquals("off-heap", text.getString(0));
            MemorySegment longs = arena.allocate(ValueLayout.JAVA_LONG, 10);
            assertEquals(80, longs.byteSize());
            assertTrue(longs.address() >= address + 64);
        }
    }
}
