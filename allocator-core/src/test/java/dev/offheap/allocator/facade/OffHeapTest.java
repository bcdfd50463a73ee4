package dev.offheap.allocator.facade;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.LeakReport;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.budget.BudgetedAllocator;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.ownership.LeakDetection;
import dev.offheap.allocator.ownership.MemoryBlock;
import dev.offheap.allocator.testing.ResidentMemory;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OffHeapTest {
    private static final long KiB = 1024;
    private static final long MiB = 1024 * KiB;

    private static OffHeap.Builder small() {
        return OffHeap.builder().name("test").reserve(1L << 30);
    }

    @Test
    void eachSizeGoesToItsRangeAndFreesRouteByKind() {
        try (OffHeap memory = small().build()) {
            long[][] cases = {{1, Handles.KIND_SLAB}, {64 * KiB, Handles.KIND_SLAB},
                    {64 * KiB + 1, Handles.KIND_FREE_LIST}, {MiB, Handles.KIND_FREE_LIST},
                    {MiB + 1, Handles.KIND_LARGE}, {5 * MiB, Handles.KIND_LARGE}};
            List<Long> handles = new ArrayList<>();
            for (long[] c : cases) {
                long h = memory.allocate(c[0]);
                assertEquals(c[1], Handles.kind(h), "size " + c[0]);
                MemorySegment s = memory.segment(h);
                assertTrue(s.byteSize() >= c[0]);
                assertEquals(memory.byteSize(h), s.byteSize());
                s.set(ValueLayout.JAVA_BYTE, c[0] - 1, (byte) 7);
                handles.add(h);
            }
            assertEquals(cases.length, memory.snapshot().liveBlocks());
            for (long h : handles) {
                memory.free(h);
                assertFalse(memory.isLive(h));
            }
            AllocatorSnapshot s = memory.snapshot();
            assertEquals(0, s.liveBlocks());
            assertEquals(cases.length, s.allocations());
            assertEquals(cases.length, s.frees());
            assertEquals("offheap", s.kind());
        }
    }

    @Test
    void misuseIsCaughtInEveryRangeAndNothingChanges() {
        try (OffHeap memory = small().build()) {
            for (long size : new long[]{64, 100 * KiB, 3 * MiB}) {
                long h = memory.allocate(size);
                memory.free(h);
                assertThrows(DoubleFreeException.class, () -> memory.free(h), "size " + size);
                assertThrows(UseAfterFreeException.class, () -> memory.segment(h), "size " + size);
            }
            ForeignPointerException unknownKind = assertThrows(ForeignPointerException.class,
                    () -> memory.free(Handles.pack(0, 1, 1, 0)));
            assertTrue(unknownKind.getMessage().startsWith("handle was not made by this allocator"), unknownKind.getMessage());
            assertThrows(ForeignPointerException.class, () -> memory.segment(Handles.NULL));
            assertThrows(IllegalArgumentException.class, () -> memory.allocate(0));
            assertThrows(IllegalArgumentException.class, () -> memory.allocate(-5));
            assertEquals(0, memory.snapshot().liveBlocks());
            long ok = memory.allocate(64);
            memory.free(ok);
        }
    }

    @Test
    void resizeKeepsTheBytesAcrossEveryRange() {
        try (OffHeap memory = small().build()) {
            long h = memory.allocate(40);
            MemorySegment first = memory.segment(h);
            for (int i = 0; i < 40; i++) {
                first.set(ValueLayout.JAVA_BYTE, i, (byte) i);
            }
            long[] sizes = {48, 200 * KiB, 300 * KiB, 4 * MiB, 100};
            for (long size : sizes) {
                long next = memory.resize(h, size);
                MemorySegment s = memory.segment(next);
                assertTrue(s.byteSize() >= size);
                for (int i = 0; i < 40; i++) {
                    assertEquals((byte) i, s.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " after resize to " + size);
                }
                if (next != h) {
                    long old = h;
                    assertFalse(memory.isLive(old), "the old handle is dead once the block moved");
                }
                h = next;
            }
            memory.free(h);
            assertEquals(0, memory.snapshot().liveBlocks());
        }
    }

    @Test
    void theLimitHoldsForEveryRangeAndTheAllocatorRecovers() {
        try (OffHeap memory = small().limit(8 * MiB).decay(Duration.ZERO).build()) {
            long big = memory.allocate(5 * MiB);
            OutOfOffHeapMemoryException e = assertThrows(OutOfOffHeapMemoryException.class, () -> memory.allocate(5 * MiB));
            assertEquals(8 * MiB, e.limitBytes());
            memory.free(big);
            long again = memory.allocate(5 * MiB);
            memory.free(again);
        }
    }

    @Test
    void aChildOverItsBudgetFailsWhileTheParentAndSiblingsWork() {
        try (OffHeap memory = small().build()) {
            try (BudgetedAllocator a = memory.newChild("tenant-a", 4 * KiB);
                 BudgetedAllocator b = memory.newChild("tenant-b", 1 * MiB)) {
                long h = a.allocate(3 * KiB);
                assertThrows(OutOfOffHeapMemoryException.class, () -> a.allocate(3 * KiB));
                long hb = b.allocate(64 * KiB);
                long hp = memory.allocate(64 * KiB);
                assertThrows(ForeignPointerException.class, () -> a.free(hb));
                a.free(h);
                b.free(hb);
                memory.free(hp);
            }
        }
    }

    @Test
    void objectHandlesFreeOnCloseAndLeaksAreReportedAtClose() {
        List<LeakReport> reports = new ArrayList<>();
        OffHeap memory = small().leakDetection(LeakDetection.PARANOID).leakListener(reports::add).build();
        try (MemoryBlock block = memory.allocateBlock(256)) {
            block.segment().fill((byte) 3);
            assertEquals(1, memory.snapshot().liveBlocks());
        }
        assertEquals(0, memory.snapshot().liveBlocks());
        MemoryBlock leaked = memory.allocateBlock(1000);
        MemorySegment kept = leaked.segment();
        memory.close();
        assertFalse(reports.isEmpty(), "the block still open at close is reported");
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void randomChurnThenTrimGivesTheMemoryBack() {
        try (OffHeap memory = small().decay(Duration.ofHours(1)).build()) {
            SplittableRandom random = new SplittableRandom(7);
            List<Long> live = new ArrayList<>();
            long allocations = 0;
            for (int i = 0; i < 5000; i++) {
                if (live.isEmpty() || random.nextInt(3) > 0) {
                    long size = random.nextInt(8) == 0 ? random.nextLong(32 * KiB, 2 * MiB) : random.nextLong(1, 4 * KiB);
                    long h = memory.allocate(size);
                    allocations++;
                    memory.segment(h).set(ValueLayout.JAVA_LONG_UNALIGNED, 0, h);
                    live.add(h);
                } else {
                    long h = live.remove(random.nextInt(live.size()));
                    assertEquals(h, memory.segment(h).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
                    memory.free(h);
                }
            }
            for (long h : live) {
                assertEquals(h, memory.segment(h).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
                memory.free(h);
            }
            long before = ResidentMemory.ofRange(memory.region().baseAddress(), memory.region().reservedBytes());
            long purgedBefore = memory.region().purgedBytesTotal();
            memory.trim();
            long after = ResidentMemory.ofRange(memory.region().baseAddress(), memory.region().reservedBytes());
            long purged = memory.region().purgedBytesTotal() - purgedBefore;
            long committed = memory.region().committedBytes();
            assertTrue(after < before, "before=" + before + ", after=" + after);
            // Decommitted chunks leave RSS; purged pages stay committed (mapped) but leave RSS too.
            assertTrue(after <= committed, "resident=" + after + " above committed=" + committed);
            assertTrue(after >= committed - purged, "resident=" + after + ", committed=" + committed + ", purged=" + purged);
            assertEquals(allocations, memory.snapshot().allocations(), "every allocation counted once");
            assertEquals(allocations, memory.snapshot().frees(), "and every free");
        }
    }
}
