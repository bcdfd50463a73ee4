package dev.offheap.allocator.facade;

import dev.offheap.allocator.testing.Reuse;
import dev.offheap.allocator.LeakReport;
import dev.offheap.allocator.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JDK views of an {@link OffHeap}: {@link OffHeap#newArena()} and {@link OffHeap#asSegmentAllocator()}. */
@Timeout(120)
class OffHeapArenaTest {
    private static OffHeap.Builder small() {
        return OffHeap.builder().name("arena-test").reserve(1L << 30);
    }

    @Test
    void everyBlockOfTheArenaIsFreedAtCloseAndItsSegmentsThrow() {
        try (OffHeap memory = small().build()) {
            OffHeapArena arena = memory.newArena();
            List<MemorySegment> segments = new ArrayList<>();
            long[] sizes = {1, 64, 4096, 40_000, 300_000, 3 << 20}; // slab, free list and large blocks
            for (long size : sizes) {
                MemorySegment s = arena.allocate(size, 8);
                s.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 9);
                segments.add(s);
            }
            assertEquals(sizes.length, memory.snapshot().liveBlocks());
            assertEquals(sizes.length, arena.blockCount());
            assertTrue(segments.getFirst().scope().isAlive());

            arena.close();

            assertEquals(0, memory.snapshot().liveBlocks(), "every block freed at close");
            assertTrue(arena.isClosed());
            for (MemorySegment s : segments) {
                assertFalse(s.scope().isAlive());
                assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
            }
            MemorySegment slice = segments.get(1).asSlice(8); // slices share the closed scope
            assertThrows(IllegalStateException.class, () -> slice.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
            assertThrows(IllegalStateException.class, () -> arena.allocate(16), "allocate after close");
            assertThrows(IllegalStateException.class, arena::close, "close is not idempotent, as the JDK's");
            assertEquals(0, OpenArenas.openCount(memory));
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 8, 16, 32, 64, 256, 1024, 4096})
    void alignmentIsHonouredUpToOnePage(long alignment) {
        try (OffHeap memory = small().build(); Arena arena = memory.newArena()) {
            for (long size : new long[] {1, 24, 100, 4096, 70_000}) {
                for (int i = 0; i < 8; i++) {
                    MemorySegment s = arena.allocate(size, alignment);
                    assertEquals(0, s.address() % alignment, "size=" + size + ", alignment=" + alignment);
                    assertEquals(size, s.byteSize());
                    s.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 1); // the last byte is in bounds
                }
            }
        }
    }

    @Test
    void badRequestsAreRefusedAndTheArenaStaysUsable() {
        try (OffHeap memory = small().build(); Arena arena = memory.newArena()) {
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(16, OffHeapArena.MAX_BYTE_ALIGNMENT * 2));
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(16, 3));
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(16, 0));
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(-1, 8));
            assertEquals(0, memory.snapshot().liveBlocks(), "a refused request takes no block");
            MemorySegment empty = arena.allocate(0, 8);
            assertEquals(0, empty.byteSize());
            assertEquals(8, arena.allocate(8, 8).byteSize());
        }
    }

    @Test
    void segmentsAreZeroedEvenWhenTheAllocatorDoesNotZero() {
        try (OffHeap memory = small().zeroing(false).build(); Arena arena = memory.newArena()) {
            long first = memory.allocate(256);
            memory.segment(first).fill((byte) 0x5A);
            memory.free(first);
            long reused = Reuse.reuseOf(memory, 256, first);
            // Positive control: with zeroing off the slab hands the freed block back with its bytes.
            assertEquals((byte) 0x5A, memory.segment(reused).get(ValueLayout.JAVA_BYTE, 0));
            long dirty = memory.segment(reused).address();
            memory.segment(reused).fill((byte) 0x5A);
            memory.free(reused);

            MemorySegment s = arena.allocate(256, 16);
            for (int i = 0; i < 1 << 13 && s.address() != dirty; i++) {
                s = arena.allocate(256, 16); // until the arena is handed the dirty block
            }
            assertEquals(dirty, s.address(), "the arena was handed the block freed with its bytes");
            for (long i = 0; i < s.byteSize(); i++) {
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
            }
        }
    }

    @Test
    void ffmCodeUsesTheArenaForStringsAndDowncalls() throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle strlen = linker.downcallHandle(linker.defaultLookup().find("strlen").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        try (OffHeap memory = small().build(); Arena arena = memory.newArena()) {
            MemorySegment text = arena.allocateFrom("off-heap text");
            assertEquals("off-heap text", text.getString(0));
            assertEquals(13L, (long) strlen.invokeExact(text));
            MemorySegment longs = arena.allocateFrom(ValueLayout.JAVA_LONG, 1, 2, 3);
            assertEquals(3, longs.getAtIndex(ValueLayout.JAVA_LONG, 2));
            assertEquals(2, memory.snapshot().liveBlocks());
        }
    }

    @Test
    void threadsAllocateFromOneArenaAndCloseFreesAll() throws Exception {
        try (OffHeap memory = small().build(); ExecutorService pool = Executors.newFixedThreadPool(4)) {
            OffHeapArena arena = memory.newArena();
            List<Future<?>> tasks = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                tasks.add(pool.submit(() -> {
                    for (int i = 0; i < 2_000; i++) {
                        MemorySegment s = arena.allocate(16 + (i * 7 + seed) % 500, 8);
                        s.set(ValueLayout.JAVA_BYTE, 0, (byte) seed);
                    }
                }));
            }
            for (Future<?> task : tasks) {
                task.get();
            }
            assertEquals(8_000, memory.snapshot().liveBlocks());
            arena.close();
            assertEquals(0, memory.snapshot().liveBlocks());
        }
    }

    @Test
    void segmentAllocatorBlocksLiveUntilTheOffHeapClosesAndAreNotReportedAsLeaks() {
        List<LeakReport> reports = new CopyOnWriteArrayList<>();
        OffHeap memory = small().leakListener(reports::add).build();
        SegmentAllocator allocator = memory.asSegmentAllocator();
        MemorySegment table = allocator.allocate(ValueLayout.JAVA_LONG, 1024);
        MemorySegment name = allocator.allocateFrom("table");
        table.setAtIndex(ValueLayout.JAVA_LONG, 1023, 7L);
        assertEquals(2, memory.snapshot().liveBlocks());
        memory.close();
        assertThrows(IllegalStateException.class, () -> table.get(ValueLayout.JAVA_LONG, 0));
        assertThrows(IllegalStateException.class, () -> name.getString(0));
        assertThrows(IllegalStateException.class, () -> allocator.allocate(8));
        assertThrows(IllegalStateException.class, memory::newArena);
        assertEquals(List.of(), reports, "the view's blocks are freed, not leaked");
    }

    @Test
    void aRawBlockLeftAtCloseIsReportedUnlikeTheViews() {
        // Positive control of the test above: the listener does hear blocks left live at close.
        List<LeakReport> reports = new CopyOnWriteArrayList<>();
        OffHeap memory = small().leakListener(reports::add).build();
        memory.asSegmentAllocator().allocate(64);
        memory.allocate(64);
        memory.close();
        assertEquals(1, reports.size(), reports.toString());
        assertEquals(1, reports.getFirst().blocks());
    }

    /** In a child JVM: if the arena's segments outlived the region, the access would crash it. */
    @Test
    void closingTheOffHeapClosesItsOpenArenasFirst() throws Exception {
        ChildJvm.Result result = ChildJvm.run(CloseOffHeapUnderArena.class, 60);
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("arena closed by its allocator"), result.output());
    }

    /** The child's program for {@link #closingTheOffHeapClosesItsOpenArenasFirst()}. */
    public static final class CloseOffHeapUnderArena {
        public static void main(String[] args) {
            OffHeap memory = small().build();
            OffHeapArena arena = memory.newArena();
            MemorySegment small = arena.allocate(64, 8);
            MemorySegment large = arena.allocate(4 << 20, 4096); // its own span, unmapped at close
            memory.close();
            check(arena.isClosed(), "arena closed");
            for (MemorySegment s : List.of(small, large)) {
                try {
                    s.get(ValueLayout.JAVA_BYTE, 0);
                    check(false, "access after the allocator closed must throw");
                } catch (IllegalStateException expected) {
                    // the arena's scope closed before the memory went
                }
            }
            try {
                arena.close();
                check(false, "second close must throw");
            } catch (IllegalStateException expected) {
                // closed already, by the allocator
            }
            System.out.println("arena closed by its allocator");
        }

        private static void check(boolean condition, String what) {
            if (!condition) {
                System.out.println("failed: " + what);
                System.exit(3);
            }
        }
    }
}
