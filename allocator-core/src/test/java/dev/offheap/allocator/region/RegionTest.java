package dev.offheap.allocator.region;

import dev.offheap.allocator.NativeCallException;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.os.VirtualMemory;
import dev.offheap.allocator.testing.ResidentMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(120)
class RegionTest {
    private static final long MiB = 1L << 20;
    private static final long CHUNK = 2 * MiB;

    @Test
    void aReservationOfManyGibibytesCostsNoResidentMemory() {
        try (Region region = Region.builder().reserve(32L << 30).build()) {
            assertEquals(32L << 30, region.reservedBytes());
            assertEquals(0, region.committedBytes());
            assertEquals(0, ResidentMemory.ofRange(region.baseAddress(), region.reservedBytes()));
        }
    }

    @Test
    void residentMemoryFollowsCommitAndFallsAfterDecommit() {
        try (Region region = Region.builder().reserve(1L << 30).decay(Duration.ofHours(1)).build()) {
            long base = region.baseAddress();
            long reserved = region.reservedBytes();
            Span first = region.acquire(CHUNK);
            // Committed chunks are pre-faulted: resident before any user write.
            assertEquals(CHUNK, ResidentMemory.ofRange(base, reserved));
            Span more = region.acquire(3 * CHUNK);
            assertEquals(4 * CHUNK, ResidentMemory.ofRange(base, reserved));
            assertEquals(4 * CHUNK, region.committedBytes());
            assertEquals(4 * CHUNK, region.usedBytes());

            region.release(more);
            // Idle but inside the decay delay: still committed, still resident.
            assertEquals(4 * CHUNK, region.committedBytes());
            assertEquals(CHUNK, region.usedBytes());
            assertEquals(4 * CHUNK, ResidentMemory.ofRange(base, reserved));

            assertEquals(3 * CHUNK, region.trim());
            assertEquals(CHUNK, region.committedBytes());
            assertEquals(CHUNK, ResidentMemory.ofRange(base, reserved));
            region.release(first);
            region.trim();
            assertEquals(0, ResidentMemory.ofRange(base, reserved));
            assertEquals(4 * CHUNK, region.decommittedBytesTotal());
        }
    }

    @Test
    void idleChunksDecayAfterTheDelayAndNotBefore() {
        AtomicLong now = new AtomicLong();
        try (Region region = Region.builder().reserve(64 * MiB).decay(Duration.ofSeconds(10))
                .nanoClock(now::get).backgroundDecay(false).build()) {
            Span span = region.acquire(2 * CHUNK);
            region.release(span);
            now.addAndGet(Duration.ofSeconds(9).toNanos());
            region.release(region.acquire(CHUNK)); // reuses an idle chunk; decay runs, nothing is old enough
            assertEquals(2 * CHUNK, region.committedBytes());
            now.addAndGet(Duration.ofSeconds(2).toNanos());
            Span again = region.acquire(CHUNK); // the untouched idle chunk is now past the delay
            assertEquals(CHUNK, region.committedBytes());
            region.release(again);
        }
    }

    @Test
    void zeroDecayGivesMemoryBackAtOnce() {
        try (Region region = Region.builder().reserve(64 * MiB).decay(Duration.ZERO).build()) {
            region.release(region.acquire(3 * CHUNK));
            assertEquals(0, region.committedBytes());
            assertEquals(0, ResidentMemory.ofRange(region.baseAddress(), region.reservedBytes()));
        }
    }

    @Test
    void freshSpansAreZeroedAndReusedIdleOnesAreNot() {
        try (Region region = Region.builder().reserve(64 * MiB).build()) {
            Span span = region.acquire(CHUNK);
            assertTrue(span.zeroed());
            assertEquals(0L, span.segment().get(ValueLayout.JAVA_LONG, 128));
            span.segment().set(ValueLayout.JAVA_LONG, 128, 42L);
            region.release(span);
            Span reused = region.acquire(CHUNK);
            assertEquals(span.address(), reused.address());
            assertFalse(reused.zeroed());
        }
    }

    @Test
    void aReleasedRunKeepsItsScopeWhileIdleAndTheNextAcquireOfItReusesIt() {
        AtomicLong now = new AtomicLong();
        try (Region region = Region.builder().reserve(64 * MiB).decay(Duration.ofSeconds(10))
                .nanoClock(now::get).backgroundDecay(false).build()) {
            Span first = region.acquire(2 * CHUNK);
            MemorySegment kept = first.segment().asSlice(CHUNK, 64);
            region.release(first);
            kept.set(ValueLayout.JAVA_INT, 0, 7); // idle and committed: readable, nothing to crash on
            Span again = region.acquire(2 * CHUNK);
            assertEquals(first.address(), again.address(), "the idle run of exactly that length comes first");
            assertFalse(again.zeroed());
            assertEquals(7, again.segment().get(ValueLayout.JAVA_INT, CHUNK), "same memory, kept as it was");
            kept.set(ValueLayout.JAVA_INT, 0, 8);
            assertEquals(8, again.segment().get(ValueLayout.JAVA_INT, CHUNK), "a stale segment aliases the new lending");
            assertThrows(IllegalStateException.class, () -> region.release(first), "each lending is released once");
            region.release(again);
            assertThrows(IllegalStateException.class, () -> region.release(again));
            now.addAndGet(Duration.ofSeconds(10).toNanos());
            region.release(region.acquire(CHUNK)); // decay runs: the idle run is decommitted
            assertEquals(2 * CHUNK, region.decommittedBytesTotal());
            assertEquals(CHUNK, region.committedBytes());
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_INT, 0), "decommitted: dead");
            assertThrows(IllegalStateException.class, () -> again.segment().get(ValueLayout.JAVA_INT, 0));
        }
    }

    @Test
    void purgeGivesPagesBackButKeepsThemMappedReadingZero() {
        try (Region region = Region.builder().reserve(64 * MiB).decay(Duration.ofHours(1)).build()) {
            Span span = region.acquire(CHUNK);
            MemorySegment kept = span.segment().asSlice(MiB, 64);
            span.segment().fill((byte) 5);
            long base = region.baseAddress();
            assertEquals(CHUNK, ResidentMemory.ofRange(base, region.reservedBytes()));
            region.purge(span, MiB, MiB);
            assertEquals(MiB, ResidentMemory.ofRange(base, region.reservedBytes()), "the purged half left RSS");
            assertEquals(0, kept.get(ValueLayout.JAVA_LONG, 0), "mapped, reads a zero page, no crash");
            assertEquals(5, span.segment().get(ValueLayout.JAVA_BYTE, MiB - 1), "the rest untouched");
            assertEquals(MiB, region.purgedBytesTotal());
            assertEquals(CHUNK, region.committedBytes(), "still committed: lent, mapped, accessible");
            assertEquals(MiB, region.snapshot().decommittedBytes());
            long page = region.pageSize();
            assertThrows(IllegalArgumentException.class, () -> region.purge(span, 1, page));
            assertThrows(IllegalArgumentException.class, () -> region.purge(span, 0, page + 1));
            assertThrows(IllegalArgumentException.class, () -> region.purge(span, -page, page));
            assertThrows(IllegalArgumentException.class, () -> region.purge(span, CHUNK - page, 2 * page));
            assertThrows(IllegalArgumentException.class, () -> region.purge(span, page, Long.MAX_VALUE & -page));
            try (Region other = Region.builder().reserve(CHUNK).build()) {
                Span foreign = other.acquire(CHUNK);
                assertThrows(IllegalArgumentException.class, () -> region.purge(foreign, 0, page));
            }
            region.release(span);
            assertThrows(IllegalStateException.class, () -> region.purge(span, 0, page), "released: not the caller's");
            assertEquals(MiB, region.purgedBytesTotal(), "refusals count nothing");
        }
    }

    @Test
    void aRefusedPurgeThrowsTheKernelsErrorAndCountsNothing() {
        FaultyMemory memory = new FaultyMemory();
        try (Region region = Region.builder().reserve(16 * MiB).memory(memory).decay(Duration.ofHours(1)).build()) {
            Span span = region.acquire(CHUNK);
            span.segment().set(ValueLayout.JAVA_LONG, 0, 9L);
            memory.failNext(FaultyMemory.Call.PURGE, 1);
            NativeCallException e = assertThrows(NativeCallException.class, () -> region.purge(span, 0, CHUNK));
            assertEquals("EINVAL", e.errnoName());
            assertEquals(0, region.purgedBytesTotal());
            assertEquals(9L, span.segment().get(ValueLayout.JAVA_LONG, 0), "nothing purged");
            region.purge(span, 0, CHUNK);
            assertEquals(0L, span.segment().get(ValueLayout.JAVA_LONG, 0));
        }
    }

    @Test
    void anAcquireThatSplitsAnIdleRunClosesItsScopeFirst() {
        try (Region region = Region.builder().reserve(2 * CHUNK).decay(Duration.ofHours(1)).build()) {
            Span pair = region.acquire(2 * CHUNK);
            MemorySegment high = pair.segment().asSlice(CHUNK, 64);
            region.release(pair);
            high.get(ValueLayout.JAVA_BYTE, 0);
            Span one = region.acquire(CHUNK); // only the idle pair is left: split, its scope closes
            assertEquals(pair.address(), one.address());
            assertThrows(IllegalStateException.class, () -> high.get(ValueLayout.JAVA_BYTE, 0));
            assertThrows(IllegalStateException.class, () -> pair.segment().get(ValueLayout.JAVA_BYTE, 0));
            one.segment().set(ValueLayout.JAVA_LONG, 0, 1L); // the new lending has a scope of its own
            assertEquals(2 * CHUNK, region.committedBytes(), "the split reused the committed chunk");
        }
    }

    @Test
    void releaseAndInvalidateKillsTheSegmentsAtOnceAndTheRunStaysReusable() {
        try (Region region = Region.builder().reserve(64 * MiB).decay(Duration.ofHours(1)).build()) {
            Span span = region.acquire(CHUNK);
            MemorySegment kept = span.segment().asSlice(0, 64);
            region.releaseAndInvalidate(span);
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
            assertThrows(IllegalStateException.class, () -> region.releaseAndInvalidate(span));
            assertEquals(CHUNK, region.committedBytes(), "idle, committed, without a scope");
            Span again = region.acquire(CHUNK);
            assertEquals(span.address(), again.address());
            again.segment().set(ValueLayout.JAVA_LONG, 0, 1L);
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0), "still dead");
        }
    }

    @Test
    void aSegmentOfAReleasedSpanThrowsOnceTheMemoryIsDecommitted() {
        try (Region region = Region.builder().reserve(64 * MiB).decay(Duration.ZERO).build()) {
            Span span = region.acquire(CHUNK);
            MemorySegment slice = span.segment().asSlice(64, 64);
            slice.set(ValueLayout.JAVA_INT, 0, 7);
            region.release(span);
            assertThrows(IllegalStateException.class, () -> slice.get(ValueLayout.JAVA_INT, 0));
        }
    }

    @Test
    void closeMakesEverySegmentThrowAndIsIdempotent() {
        Region region = Region.builder().reserve(64 * MiB).build();
        MemorySegment segment = region.acquire(CHUNK).segment().asSlice(0, 16);
        segment.set(ValueLayout.JAVA_LONG, 0, 1L);
        region.close();
        assertTrue(region.isClosed());
        assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_LONG, 0));
        assertThrows(IllegalStateException.class, () -> region.acquire(CHUNK));
        region.close();
        assertEquals(0, region.committedBytes());
    }

    @Test
    void theLimitOnCommittedBytesIsEnforcedAndTheRegionRecovers() {
        try (Region region = Region.builder().name("limited").reserve(1L << 30).limit(3 * CHUNK)
                .decay(Duration.ofHours(1)).build()) {
            Span a = region.acquire(2 * CHUNK);
            OutOfOffHeapMemoryException e = assertThrows(OutOfOffHeapMemoryException.class,
                    () -> region.acquire(2 * CHUNK));
            assertEquals("out of off-heap memory, limit on committed bytes reached: name=limited, requested="
                    + 2 * CHUNK + ", limit=" + 3 * CHUNK + ", committed=" + 2 * CHUNK + ", used=" + 2 * CHUNK, e.getMessage());
            assertEquals(2 * CHUNK, region.committedBytes());
            region.release(a);
            // Idle chunks are decommitted to make room, even inside the decay delay.
            Span big = region.acquire(3 * CHUNK);
            assertEquals(3 * CHUNK, region.committedBytes());
            region.release(big);
        }
    }

    @Test
    void exhaustingTheReservationThrowsAndReleasingRecovers() {
        try (Region region = Region.builder().reserve(4 * CHUNK).build()) {
            Span a = region.acquire(3 * CHUNK);
            Span b = region.acquire(CHUNK);
            assertThrows(OutOfOffHeapMemoryException.class, () -> region.acquire(CHUNK));
            assertThrows(OutOfOffHeapMemoryException.class, () -> region.acquire(5 * CHUNK));
            region.release(b);
            assertEquals(b.address(), region.acquire(CHUNK).address());
            region.release(a);
        }
    }

    @Test
    void badArgumentsAndMisuseAreRefused() {
        try (Region region = Region.builder().reserve(64 * MiB).build();
             Region other = Region.builder().reserve(64 * MiB).build()) {
            assertThrows(IllegalArgumentException.class, () -> region.acquire(0));
            assertThrows(IllegalArgumentException.class, () -> region.acquire(-1));
            Span span = other.acquire(CHUNK);
            IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class, () -> region.release(span));
            assertTrue(foreign.getMessage().startsWith("span belongs to another region"), foreign.getMessage());
            other.release(span);
            IllegalStateException twice = assertThrows(IllegalStateException.class, () -> other.release(span));
            assertTrue(twice.getMessage().startsWith("span released twice"), twice.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Region.builder().chunkSize(3 * MiB).build());
        assertThrows(IllegalArgumentException.class, () -> Region.builder().chunkSize(1024).build());
        assertThrows(IllegalArgumentException.class, () -> Region.builder().reserve(0));
        assertThrows(IllegalArgumentException.class, () -> Region.builder().reserve(Region.MAX_RESERVE_BYTES + 1));
        assertThrows(IllegalArgumentException.class, () -> Region.builder().limit(0));
        Duration negative = Duration.ofSeconds(-1);
        assertThrows(IllegalArgumentException.class, () -> Region.builder().decay(negative));
    }

    @Test
    void aRefusedCommitChangesNothingAndTheRegionKeepsServing() {
        FailingMemory memory = new FailingMemory();
        try (Region region = Region.builder().reserve(64 * MiB).memory(memory).build()) {
            Span kept = region.acquire(CHUNK);
            memory.failCommit = true;
            NativeCallException e = assertThrows(NativeCallException.class, () -> region.acquire(CHUNK));
            assertTrue(e.getMessage().contains("ENOMEM"), e.getMessage());
            assertEquals(CHUNK, region.committedBytes());
            assertEquals(CHUNK, region.usedBytes());
            memory.failCommit = false;
            Span next = region.acquire(CHUNK);
            assertNotEquals(kept.address(), next.address());
            assertEquals(2 * CHUNK, region.committedBytes());
        }
    }

    @Test
    void aSpanIsChunkAlignedAndBoundedToItsBytes() {
        try (Region region = Region.builder().reserve(64 * MiB).build()) {
            Span span = region.acquire(CHUNK + 1);
            assertEquals(2 * CHUNK, span.byteSize());
            assertEquals(0, span.address() % CHUNK);
            assertEquals(span.byteSize(), span.segment().byteSize());
            assertSame(region, span.region());
            assertThrows(IndexOutOfBoundsException.class, () -> span.segment().get(ValueLayout.JAVA_BYTE, span.byteSize()));
        }
    }

    /** The real kernel calls, with commit made to fail on demand. */
    static final class FailingMemory implements VirtualMemory {
        private final VirtualMemory real = VirtualMemory.system();
        volatile boolean failCommit;

        @Override public long pageSize() { return real.pageSize(); }
        @Override public long reserve(long byteSize) { return real.reserve(byteSize); }
        @Override public void commit(long address, long byteSize) {
            if (failCommit) {
                throw new NativeCallException("mprotect(addr=0x" + Long.toHexString(address) + ", len=" + byteSize
                        + ", prot=PROT_READ|PROT_WRITE)", 12, "ENOMEM", "Cannot allocate memory");
            }
            real.commit(address, byteSize);
        }
        @Override public void populate(long address, long byteSize) { real.populate(address, byteSize); }
        @Override public void decommit(long address, long byteSize) { real.decommit(address, byteSize); }
        @Override public void purge(long address, long byteSize) { real.purge(address, byteSize); }
        @Override public boolean adviseHugePages(long address, long byteSize) { return real.adviseHugePages(address, byteSize); }
        @Override public void release(long address, long byteSize) { real.release(address, byteSize); }
    }

    @Test
    void afterCloseEveryCallThatWouldTouchMemoryThrowsNamingTheRegion() {
        Region region = Region.builder().name("shut").reserve(64 * MiB).commitAhead(CHUNK).decay(Duration.ofHours(1)).build();
        Span span = region.acquire(CHUNK);
        region.purge(span, 0, region.pageSize()); // control: open, these calls work
        region.checkOpen();
        region.close();
        String message = "region is closed: region=shut";
        assertEquals(message, assertThrows(IllegalStateException.class, () -> region.acquire(CHUNK)).getMessage());
        assertEquals(message, assertThrows(IllegalStateException.class,
                () -> region.purge(span, 0, region.pageSize())).getMessage());
        assertEquals(message, assertThrows(IllegalStateException.class, region::trim).getMessage());
        assertEquals(message, assertThrows(IllegalStateException.class, region::checkOpen).getMessage());
        assertThrows(IllegalStateException.class, () -> span.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0),
                "the span's segment is bound to the closed scope");
        region.release(span); // documented: a release after close does nothing, so an allocator's close stays quiet
        assertEquals(0, region.committedBytes());
        assertEquals(0, region.usedBytes());
    }

    @Test
    void runsPastThePerChunkTablesAreLentWholeAndTheTablesKeepTheirChunksStates() {
        // The per-chunk tables start at 16 chunks and double: lend past them one chunk at a time,
        // then a run that starts inside them and ends past them, then one wholly past them.
        try (Region region = Region.builder().name("growth").reserve(64L << 30).chunkSize(64 * 1024)
                .decay(Duration.ofHours(1)).build()) {
            long chunk = region.chunkBytes();
            java.util.List<Span> singles = new java.util.ArrayList<>();
            for (int i = 0; i < 40; i++) {
                Span s = region.acquire(chunk);
                assertEquals(region.baseAddress() + i * chunk, s.address(), "lowest free chunk first: " + i);
                s.segment().set(ValueLayout.JAVA_LONG, 0, i);
                singles.add(s);
            }
            for (int i = 0; i < 40; i += 2) {
                region.release(singles.get(i)); // idle, committed: every other chunk
            }
            Span straddling = region.acquire(100 * chunk);
            assertEquals(region.baseAddress() + 40 * chunk, straddling.address(), "first fit after the used chunks");
            Span far = region.acquire(1000 * chunk);
            assertEquals(straddling.address() + 100 * chunk, far.address());
            far.segment().set(ValueLayout.JAVA_LONG, far.byteSize() - 8, 7L);
            for (int i = 1; i < 40; i += 2) {
                assertEquals(i, singles.get(i).segment().get(ValueLayout.JAVA_LONG, 0), "kept across growth: " + i);
            }
            assertEquals(20 * chunk, region.trim(), "the idle chunks below the growth are still known as idle");
            assertEquals((20 + 100 + 1000) * chunk, region.committedBytes());
            region.release(far);
            region.release(straddling);
            assertEquals(1100 * chunk, region.trim());
            assertEquals(20 * chunk, region.usedBytes());
        }
    }
}
