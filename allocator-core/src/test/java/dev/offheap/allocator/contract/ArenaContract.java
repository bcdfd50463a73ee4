package dev.offheap.allocator.contract;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@link Arena} promises, as tests: run on the JDK's own shared arena (the reference) and on
 * the library's, so the library's is shown to keep the same contract.
 */
@Timeout(60)
abstract class ArenaContract {
    /** The largest alignment every implementation under test honours. */
    static final long MAX_TESTED_ALIGNMENT = 4096;

    private Arena arena;

    /** {@return a new open arena} */
    protected abstract Arena open();

    /** Releases whatever {@link #open()} needed besides the arena (its allocator), after each test. */
    protected void cleanUp() {
    }

    private Arena arena() {
        if (arena == null) {
            arena = open();
        }
        return arena;
    }

    @AfterEach
    void closeAll() {
        if (arena != null && arena.scope().isAlive()) {
            arena.close();
        }
        cleanUp();
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 8, 16, 64, 512, 4096})
    void segmentsHaveTheSizeAndAlignmentAskedForAndAreZeroed(long alignment) {
        for (long size : new long[] {0, 1, 15, 64, 1000, 70_000}) {
            MemorySegment s = arena().allocate(size, alignment);
            assertEquals(size, s.byteSize());
            assertEquals(0, s.address() % alignment, "size=" + size + ", alignment=" + alignment);
            for (long i = 0; i < size; i += 97) {
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i), "zeroed at " + i);
            }
            assertEquals(arena().scope(), s.scope(), "bound to the arena's scope");
        }
    }

    @Test
    void noTwoSegmentsOverlap() {
        List<MemorySegment> segments = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            segments.add(arena().allocate(8 + i % 100, 8));
        }
        segments.sort((a, b) -> Long.compare(a.address(), b.address()));
        for (int i = 1; i < segments.size(); i++) {
            MemorySegment before = segments.get(i - 1);
            assertTrue(before.address() + before.byteSize() <= segments.get(i).address(), "overlap at " + i);
        }
    }

    @Test
    void afterCloseEverySegmentThrowsAndSoDoAllocateAndASecondClose() {
        MemorySegment s = arena().allocate(64, 8);
        MemorySegment slice = s.asSlice(8, 8);
        s.set(ValueLayout.JAVA_LONG, 0, 1L);
        assertTrue(arena().scope().isAlive());
        arena().close();
        assertFalse(arena().scope().isAlive());
        assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_LONG, 0));
        assertThrows(IllegalStateException.class, () -> slice.set(ValueLayout.JAVA_LONG, 0, 2L));
        assertThrows(IllegalStateException.class, () -> arena().allocate(8, 8));
        assertThrows(IllegalStateException.class, () -> arena().close());
    }

    @Test
    void badRequestsThrowIllegalArgumentException() {
        assertThrows(IllegalArgumentException.class, () -> arena().allocate(-1, 8));
        assertThrows(IllegalArgumentException.class, () -> arena().allocate(8, 3));
        assertThrows(IllegalArgumentException.class, () -> arena().allocate(8, 0));
        assertEquals(8, arena().allocate(8, 8).byteSize(), "usable after refusals");
    }

    @Test
    void theDefaultAllocatorMethodsWork() {
        assertEquals("contract text", arena().allocateFrom("contract text").getString(0));
        MemorySegment longs = arena().allocateFrom(ValueLayout.JAVA_LONG, 1, 2, 3);
        assertEquals(3, longs.getAtIndex(ValueLayout.JAVA_LONG, 2));
        assertEquals(40, arena().allocate(ValueLayout.JAVA_INT, 10).byteSize());
    }
}
