package dev.offheap.allocator.freelist;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.testing.Patterns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TlsfAllocatorTest {
    private static final long KiB = 1024;
    private static final long MiB = 1024 * KiB;
    /** Zeros to compare fresh blocks with, as large as the largest block. */
    private static final MemorySegment ZEROS = Arena.global().allocate(MiB);

    private static TlsfAllocator newAllocator(Region region) {
        return TlsfAllocator.builder().name("tlsf-test").region(region).build();
    }

    private static Region newRegion(long reserve) {
        return Region.builder().name("tlsf-region").reserve(reserve).decay(Duration.ofHours(1)).build();
    }

    /** One live block of the model: its request, its pattern byte. */
    private record Block(long requested, byte pattern) {
    }

    private static long randomSize(SplittableRandom random, long max) {
        // Log-uniform: as many small blocks as large ones, from 1 B to max.
        double log = random.nextDouble() * Math.log(max);
        return Math.max(1, Math.min(max, (long) Math.exp(log)));
    }

    private static void fill(TlsfAllocator allocator, long handle, byte pattern) {
        allocator.segment(handle).fill(pattern);
    }

    private static void assertContent(TlsfAllocator allocator, long handle, Block block) {
        MemorySegment segment = allocator.segment(handle);
        long n = block.requested;
        for (long i = 0; i < n; i += Math.max(1, n / 64)) {
            assertEquals(block.pattern, segment.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " of " + Handles.toString(handle));
        }
        assertEquals(block.pattern, segment.get(ValueLayout.JAVA_BYTE, n - 1));
    }

    private static void assertZero(MemorySegment segment) {
        assertEquals(-1, MemorySegment.mismatch(segment, 0, segment.byteSize(), ZEROS, 0, segment.byteSize()),
                "fresh block is zeroed");
    }

    private static void assertNoOverlap(TlsfAllocator allocator, Iterable<Long> handles) {
        TreeMap<Long, Long> byAddress = new TreeMap<>();
        for (long h : handles) {
            MemorySegment s = allocator.segment(h);
            byAddress.put(s.address(), s.address() + s.byteSize());
        }
        long end = 0;
        for (var e : byAddress.entrySet()) {
            assertTrue(e.getKey() >= end, "live blocks overlap at 0x" + Long.toHexString(e.getKey()));
            assertEquals(0, e.getKey() % 16, "16-byte aligned");
            end = e.getValue();
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 7, 42})
    void randomAllocFreeResizeKeepsInvariantsAndContents(long seed) {
        try (Region region = newRegion(1L << 30); TlsfAllocator allocator = newAllocator(region)) {
            SplittableRandom random = new SplittableRandom(seed);
            Map<Long, Block> model = new HashMap<>();
            List<Long> handles = new ArrayList<>();
            for (int op = 0; op < 6_000; op++) {
                int kind = random.nextInt(10);
                if (kind < 5 || handles.isEmpty()) {
                    long size = randomSize(random, random.nextInt(20) == 0 ? allocator.maxBlockBytes() : 64 * KiB);
                    long h = allocator.allocate(size);
                    assertTrue(allocator.byteSize(h) >= size && allocator.byteSize(h) < size + 16);
                    assertZero(allocator.segment(h));
                    byte pattern = (byte) random.nextInt(1, 256);
                    fill(allocator, h, pattern);
                    model.put(h, new Block(size, pattern));
                    handles.add(h);
                } else if (kind < 9) {
                    long h = handles.remove(random.nextInt(handles.size()));
                    assertContent(allocator, h, model.remove(h));
                    allocator.free(h);
                    assertFalse(allocator.isLive(h));
                } else {
                    int i = random.nextInt(handles.size());
                    long h = handles.get(i);
                    Block old = model.remove(h);
                    long size = randomSize(random, 64 * KiB);
                    long oldUsable = allocator.byteSize(h);
                    long moved = allocator.resize(h, size);
                    MemorySegment s = allocator.segment(moved);
                    long kept = Math.min(old.requested, size);
                    for (long b = 0; b < kept; b += Math.max(1, kept / 32)) {
                        assertEquals(old.pattern, s.get(ValueLayout.JAVA_BYTE, b), "resize keeps contents");
                    }
                    if (moved != h) {
                        assertFalse(allocator.isLive(h), "old handle dead after a move");
                    } else if (s.byteSize() > oldUsable) {
                        assertZero(s.asSlice(oldUsable));
                    }
                    byte pattern = (byte) random.nextInt(1, 256);
                    s.fill(pattern);
                    model.put(moved, new Block(size, pattern));
                    handles.set(i, moved);
                }
                if (op % 250 == 0) {
                    allocator.verifyInvariants();
                }
            }
            allocator.verifyInvariants();
            assertNoOverlap(allocator, handles);
            long used = 0;
            for (long h : handles) {
                assertContent(allocator, h, model.get(h));
                used += allocator.byteSize(h);
            }
            AllocatorSnapshot snapshot = allocator.snapshot();
            assertEquals(handles.size(), snapshot.liveBlocks());
            assertEquals(used, snapshot.usedBytes());
            // A move by resize counts one allocation and one free, so this holds exactly.
            assertEquals(snapshot.allocations() - snapshot.frees(), snapshot.liveBlocks());
        }
    }

    @Test
    void typedAccessorsCheckTheHandleAndTheBoundsOnEveryCall() {
        try (TlsfAllocator tlsf = TlsfAllocator.builder().name("access").reserve(1L << 30).build()) {
            long h = tlsf.allocate(40 << 10);
            long size = tlsf.byteSize(h);
            tlsf.putLong(h, 0, 0x1122334455667788L);
            tlsf.putInt(h, 8, 0xCAFEBABE);
            tlsf.putByte(h, size - 1, (byte) 7);
            MemorySegment s = tlsf.segment(h);
            assertEquals(0x1122334455667788L, s.get(ValueLayout.JAVA_LONG_UNALIGNED, 0), "the same bytes as the segment");
            assertEquals(0xCAFEBABE, s.get(ValueLayout.JAVA_INT_UNALIGNED, 8));
            assertEquals(7, s.get(ValueLayout.JAVA_BYTE, size - 1));
            assertEquals(0x1122334455667788L, tlsf.getLong(h, 0));
            assertEquals(0xCAFEBABE, tlsf.getInt(h, 8));
            assertEquals(7, tlsf.getByte(h, size - 1));
            assertThrows(IndexOutOfBoundsException.class, () -> tlsf.getByte(h, size));
            assertThrows(IndexOutOfBoundsException.class, () -> tlsf.putLong(h, size - 4, 1L));
            assertThrows(IndexOutOfBoundsException.class, () -> tlsf.getInt(h, -1));
            long shrunk = tlsf.resize(h, 1000);
            assertEquals(h, shrunk, "precondition: shrunk in place");
            assertThrows(IndexOutOfBoundsException.class, () -> tlsf.getByte(shrunk, size - 1), "bounds follow the usable size");
            tlsf.free(shrunk);
            assertThrows(UseAfterFreeException.class, () -> tlsf.getLong(shrunk, 0));
            assertThrows(UseAfterFreeException.class, () -> tlsf.putByte(shrunk, 0, (byte) 1));
            assertThrows(ForeignPointerException.class, () -> tlsf.getByte(Handles.pack(Handles.KIND_SLAB, 1, 1, 0), 0));
        }
    }

    @Test
    void memoryGrownIntoInPlaceIsZeroedWhenHandedOutAgain() {
        try (TlsfAllocator tlsf = TlsfAllocator.builder().name("grow-zero").reserve(1L << 30).build()) {
            long h = tlsf.allocate(16);
            long grown = tlsf.resize(h, 4096); // in place, into fresh granules to its right
            assertEquals(h, grown, "precondition: grown in place");
            assertTrue(Patterns.isZero(tlsf.segment(grown)), "fresh granules read zero");
            tlsf.segment(grown).fill((byte) 7);
            tlsf.free(grown);
            long again = tlsf.allocate(4096);
            assertEquals(Handles.location(h), Handles.location(again), "precondition: the same granules");
            assertTrue(Patterns.isZero(tlsf.segment(again)), "the bytes the grown block wrote were zeroed");
        }
    }

    @Test
    void churnThenFreeAllLeavesOneFreeBlockPerSpanAndTrimGivesEverythingBack() {
        try (Region region = newRegion(1L << 30); TlsfAllocator allocator = newAllocator(region)) {
            SplittableRandom random = new SplittableRandom(3);
            List<Long> handles = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                for (int i = 0; i < 1_500; i++) {
                    handles.add(allocator.allocate(randomSize(random, 64 * KiB)));
                }
                for (int i = 0; i < 1_000; i++) {
                    allocator.free(handles.remove(random.nextInt(handles.size())));
                }
            }
            assertTrue(allocator.snapshot().committedBytes() > 4 * allocator.spanBytes(), "churn used several spans");
            handles.forEach(allocator::free);
            allocator.verifyInvariants();
            int[] freeBlocks = allocator.freeBlocksPerSpan();
            for (int n : freeBlocks) {
                assertEquals(1, n, "one free block per span");
            }
            // Wholly free spans went back at once, but the one spare.
            assertEquals(1, freeBlocks.length);
            assertEquals(allocator.spanBytes(), allocator.snapshot().committedBytes());
            assertEquals(0, allocator.snapshot().usedBytes());
            assertEquals(0, region.usedBytes() - allocator.spanBytes());

            assertEquals(allocator.spanBytes(), allocator.trim());
            assertEquals(0, allocator.snapshot().committedBytes());
            assertEquals(0, region.usedBytes());
            assertEquals(0, region.committedBytes(), "the region decommitted everything");
            allocator.verifyInvariants();
            // Still usable after trim.
            long h = allocator.allocate(100);
            allocator.free(h);
            allocator.verifyInvariants();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3})
    void atMostTheConfiguredSpareSpansStayAfterEverythingIsFreed(int spares) {
        try (Region region = newRegion(1L << 30);
             TlsfAllocator allocator = TlsfAllocator.builder().region(region).spareSpans(spares).build()) {
            List<Long> handles = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                handles.add(allocator.allocate(allocator.maxBlockBytes())); // two per span: five spans
            }
            assertEquals(5 * allocator.spanBytes(), region.usedBytes());
            handles.forEach(allocator::free);
            allocator.verifyInvariants();
            assertEquals(spares * allocator.spanBytes(), allocator.snapshot().committedBytes());
            assertEquals(spares * allocator.spanBytes(), region.usedBytes());
            assertEquals(spares * allocator.spanBytes(), allocator.trim());
            assertEquals(0, region.usedBytes());
            allocator.verifyInvariants();
            assertThrows(IllegalArgumentException.class, () -> TlsfAllocator.builder().spareSpans(-1));
        }
    }

    @Test
    void growsInPlaceWhenTheNextBlockIsFreeElseMovesAndCopies() {
        try (Region region = newRegion(64 * MiB); TlsfAllocator allocator = newAllocator(region)) {
            long a = allocator.allocate(64);
            long b = allocator.allocate(64);
            long c = allocator.allocate(64);
            long d = allocator.allocate(16); // c's right neighbour stays live
            allocator.segment(a).fill((byte) 1);
            allocator.segment(b).fill((byte) 2);
            allocator.free(b);
            long grown = allocator.resize(a, 100);
            assertEquals(a, grown, "grew into the free neighbour");
            assertEquals(112, allocator.byteSize(a));
            assertEquals(1, allocator.segment(a).get(ValueLayout.JAVA_BYTE, 63));
            assertZero(allocator.segment(a).asSlice(64));
            allocator.verifyInvariants();

            long shrunk = allocator.resize(a, 16);
            assertEquals(a, shrunk);
            assertEquals(16, allocator.byteSize(a));
            allocator.verifyInvariants();

            allocator.segment(c).fill((byte) 3);
            long moved = allocator.resize(c, 4096);
            assertNotEquals(c, moved);
            assertFalse(allocator.isLive(c));
            assertThrows(UseAfterFreeException.class, () -> allocator.segment(c));
            byte[] expected = new byte[64];
            java.util.Arrays.fill(expected, (byte) 3);
            assertArrayEquals(expected, allocator.segment(moved).asSlice(0, 64).toArray(ValueLayout.JAVA_BYTE));
            assertZero(allocator.segment(moved).asSlice(64));
            allocator.verifyInvariants();
            allocator.free(moved);
            allocator.free(d);
            allocator.free(a);
            allocator.verifyInvariants();
            assertEquals(0, allocator.snapshot().liveBlocks());
        }
    }

    @Test
    void reusedMemoryIsZeroedAgain() {
        try (Region region = newRegion(64 * MiB); TlsfAllocator allocator = newAllocator(region)) {
            long a = allocator.allocate(4096);
            allocator.segment(a).fill((byte) 0x5A);
            allocator.free(a);
            long b = allocator.allocate(4096);
            assertEquals(Handles.location(a), Handles.location(b), "the same memory again");
            assertZero(allocator.segment(b));
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE})
    void nonPositiveSizesAreRefused(long size) {
        try (Region region = newRegion(64 * MiB); TlsfAllocator allocator = newAllocator(region)) {
            assertThrows(IllegalArgumentException.class, () -> allocator.allocate(size));
            long h = allocator.allocate(16);
            assertThrows(IllegalArgumentException.class, () -> allocator.resize(h, size));
            assertTrue(allocator.isLive(h));
            allocator.verifyInvariants();
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {MiB + 1, 2 * MiB, 1L << 40, Long.MAX_VALUE})
    void sizesAboveTheLargestBlockAreRefused(long size) {
        try (Region region = newRegion(64 * MiB); TlsfAllocator allocator = newAllocator(region)) {
            assertEquals(MiB, allocator.maxBlockBytes());
            var e = assertThrows(IllegalArgumentException.class, () -> allocator.allocate(size));
            assertTrue(e.getMessage().contains("byteSize=" + size), e.getMessage());
            assertEquals(0, allocator.snapshot().committedBytes());
            long h = allocator.allocate(64);
            allocator.segment(h).fill((byte) 9);
            assertThrows(IllegalArgumentException.class, () -> allocator.resize(h, size));
            assertEquals(64, allocator.byteSize(h));
            assertEquals(9, allocator.segment(h).get(ValueLayout.JAVA_BYTE, 63));
            allocator.verifyInvariants();
        }
    }

    @Test
    void largerSpansServeLargerBlocks() {
        try (Region region = newRegion(256 * MiB);
             TlsfAllocator allocator = TlsfAllocator.builder().region(region).spanBytes(8 * MiB).build()) {
            assertEquals(8 * MiB, allocator.spanBytes());
            assertEquals(4 * MiB, allocator.maxBlockBytes());
            long a = allocator.allocate(4 * MiB);
            long b = allocator.allocate(3 * MiB);
            assertEquals(8 * MiB, region.usedBytes(), "both blocks in one 8 MiB span");
            allocator.segment(a).fill((byte) 1);
            allocator.segment(b).fill((byte) 2);
            allocator.free(a);
            allocator.free(b);
            allocator.verifyInvariants();
            assertThrows(IllegalArgumentException.class, () -> TlsfAllocator.builder().spanBytes(3 * MiB));
        }
    }

    @Test
    void readmeSnippetRuns() {
        try (Region region = Region.builder().name("orders").reserve(1L << 30).decay(Duration.ofSeconds(5)).build();
             TlsfAllocator blocks = TlsfAllocator.builder().name("orders-free-list").region(region).build();
             dev.offheap.allocator.large.LargeBlockAllocator large = dev.offheap.allocator.large.LargeBlockAllocator
                     .builder().name("orders-large").region(region).build();
             dev.offheap.allocator.budget.BudgetedAllocator tenant = blocks.newChild("tenant-42", 64L << 20)) {
            long h = tenant.allocate(3_000);
            tenant.segment(h).setString(0, "hello");
            assertEquals(3008, tenant.byteSize(h));
            assertEquals("hello", tenant.segment(h).getString(0));
            long bigger = blocks.resize(blocks.allocate(100), 10_000);
            long image = large.allocate(32L << 20);
            large.free(image);
            blocks.free(bigger);
            tenant.free(h);
            assertEquals(0, blocks.snapshot().liveBlocks());
        }
    }

    @Test
    void largestBlockIsServed() {
        try (Region region = newRegion(64 * MiB); TlsfAllocator allocator = newAllocator(region)) {
            long a = allocator.allocate(allocator.maxBlockBytes());
            long b = allocator.allocate(allocator.maxBlockBytes());
            assertEquals(MiB, allocator.byteSize(a));
            allocator.segment(a).fill((byte) 1);
            allocator.segment(b).fill((byte) 2);
            allocator.verifyInvariants();
            allocator.free(a);
            allocator.free(b);
            allocator.verifyInvariants();
        }
    }

    @Test
    void doubleFreeStaleInteriorAndForeignHandlesAreToldApartAndChangeNothing() {
        try (Region region = newRegion(64 * MiB); TlsfAllocator allocator = newAllocator(region);
             TlsfAllocator other = TlsfAllocator.builder().reserve(16 * MiB).build()) {
            long a = allocator.allocate(64);
            long keep = allocator.allocate(64);
            allocator.free(a);
            AllocatorSnapshot before = allocator.snapshot();
            assertThrows(DoubleFreeException.class, () -> allocator.free(a));
            assertThrows(UseAfterFreeException.class, () -> allocator.segment(a));
            assertThrows(UseAfterFreeException.class, () -> allocator.byteSize(a));
            assertThrows(UseAfterFreeException.class, () -> allocator.resize(a, 32));

            long reused = allocator.allocate(64); // the same granule, a new generation
            assertEquals(Handles.location(a), Handles.location(reused));
            assertNotEquals(Handles.generation(a), Handles.generation(reused));
            assertThrows(DoubleFreeException.class, () -> allocator.free(a));
            assertThrows(UseAfterFreeException.class, () -> allocator.segment(a));
            assertTrue(allocator.isLive(reused));

            long interior = Handles.pack(Handles.KIND_FREE_LIST, Handles.tag(keep), Handles.generation(keep), Handles.location(keep) + 1);
            assertThrows(ForeignPointerException.class, () -> allocator.free(interior));
            assertThrows(ForeignPointerException.class, () -> allocator.segment(interior));
            long beyond = Handles.pack(Handles.KIND_FREE_LIST, Handles.tag(keep), 1, Handles.LOCATION_MASK);
            assertThrows(ForeignPointerException.class, () -> allocator.free(beyond));
            long slab = Handles.pack(Handles.KIND_SLAB, Handles.tag(keep), Handles.generation(keep), Handles.location(keep));
            assertThrows(ForeignPointerException.class, () -> allocator.free(slab));
            assertThrows(ForeignPointerException.class, () -> allocator.free(Handles.NULL));
            assertThrows(ForeignPointerException.class, () -> allocator.free(-1L));
            long elsewhere = other.allocate(64);
            assertThrows(ForeignPointerException.class, () -> allocator.free(
                    Handles.pack(Handles.KIND_FREE_LIST, Handles.tag(keep), Handles.generation(elsewhere), Handles.location(elsewhere) + 4096)));
            assertFalse(allocator.isLive(interior));
            assertFalse(allocator.isLive(slab));

            allocator.verifyInvariants();
            AllocatorSnapshot after = allocator.snapshot();
            assertEquals(before.liveBlocks() + 1, after.liveBlocks());
            assertEquals(2, after.doubleFrees());
            assertEquals(4, after.useAfterFrees());
            assertTrue(allocator.isLive(keep));
            allocator.free(keep);
            allocator.free(reused);
            allocator.verifyInvariants();
        }
    }

    @Test
    void handlesStayStaleAfterTheirSpanWentBackToTheRegionAndCameBack() {
        try (Region region = newRegion(64 * MiB); TlsfAllocator allocator = newAllocator(region)) {
            long a = allocator.allocate(64);
            allocator.free(a);
            allocator.trim(); // the span goes back to the region
            assertEquals(0, allocator.snapshot().committedBytes());
            assertThrows(DoubleFreeException.class, () -> allocator.free(a));
            assertThrows(UseAfterFreeException.class, () -> allocator.segment(a));
            long b = allocator.allocate(64); // the same chunk again, in a new span
            assertEquals(Handles.location(a), Handles.location(b));
            assertNotEquals(Handles.generation(a), Handles.generation(b));
            assertThrows(DoubleFreeException.class, () -> allocator.free(a));
            assertTrue(allocator.isLive(b));
            allocator.verifyInvariants();
        }
    }

    @Test
    void segmentsOfAReleasedSpanThrowInsteadOfTouchingGivenBackMemory() {
        try (Region region = newRegion(64 * MiB); TlsfAllocator allocator = newAllocator(region)) {
            long a = allocator.allocate(64);
            MemorySegment kept = allocator.segment(a);
            allocator.free(a);
            allocator.trim();
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void closedAllocatorRefusesEverythingAndReportsLeaks() {
        Region region = newRegion(64 * MiB);
        TlsfAllocator allocator = newAllocator(region);
        long a = allocator.allocate(100);
        allocator.allocate(200);
        MemorySegment kept = allocator.segment(a);
        allocator.close();
        allocator.close(); // idempotent
        assertEquals(2, allocator.snapshot().leaks());
        assertThrows(IllegalStateException.class, () -> allocator.allocate(16));
        assertThrows(IllegalStateException.class, () -> allocator.free(a));
        assertThrows(IllegalStateException.class, () -> allocator.segment(a));
        assertThrows(IllegalStateException.class, () -> allocator.byteSize(a));
        assertThrows(IllegalStateException.class, () -> allocator.resize(a, 16));
        assertThrows(IllegalStateException.class, allocator::trim);
        assertFalse(allocator.isLive(a));
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(0, region.usedBytes(), "a shared region got every span back");
        assertFalse(region.isClosed(), "a shared region stays open");
        region.close();
    }

    @Test
    void ownRegionIsClosedWithTheAllocator() {
        TlsfAllocator allocator = TlsfAllocator.builder().reserve(16 * MiB).build();
        allocator.allocate(16);
        allocator.close();
        assertTrue(allocator.region().isClosed());
    }

    @Test
    void regionLimitSurfacesAsOutOfMemoryAndTheAllocatorCarriesOn() {
        try (Region region = Region.builder().reserve(64 * MiB).limit(4 * MiB).build();
             TlsfAllocator allocator = newAllocator(region)) {
            List<Long> handles = new ArrayList<>();
            assertThrows(OutOfOffHeapMemoryException.class, () -> {
                while (true) {
                    handles.add(allocator.allocate(MiB));
                }
            });
            assertEquals(4, handles.size());
            assertEquals(1, allocator.snapshot().failedAllocations());
            allocator.verifyInvariants();
            allocator.free(handles.removeFirst());
            handles.add(allocator.allocate(MiB));
            handles.forEach(allocator::free);
            allocator.verifyInvariants();
        }
    }

    @Test
    void concurrentAllocAndFreeKeepInvariants() throws Exception {
        try (Region region = newRegion(1L << 30); TlsfAllocator allocator = newAllocator(region)) {
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 4; t++) {
                int seed = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        SplittableRandom random = new SplittableRandom(seed);
                        List<Long> mine = new ArrayList<>();
                        for (int i = 0; i < 5_000; i++) {
                            if (mine.isEmpty() || random.nextBoolean()) {
                                long h = allocator.allocate(randomSize(random, 16 * KiB));
                                allocator.segment(h).set(ValueLayout.JAVA_BYTE, 0, (byte) seed);
                                mine.add(h);
                            } else {
                                long h = mine.remove(random.nextInt(mine.size()));
                                assertEquals((byte) seed, allocator.segment(h).get(ValueLayout.JAVA_BYTE, 0));
                                allocator.free(h);
                            }
                        }
                        mine.forEach(allocator::free);
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(List.of(), failures);
            allocator.verifyInvariants();
            assertEquals(0, allocator.snapshot().liveBlocks());
            assertEquals(0, allocator.snapshot().usedBytes());
        }
    }
}
