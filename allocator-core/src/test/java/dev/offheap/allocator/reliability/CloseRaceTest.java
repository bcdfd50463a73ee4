package dev.offheap.allocator.reliability;

import dev.offheap.allocator.testing.ForkedJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Close racing use, and regions closed under an allocator: each call finishes or throws
 * {@link IllegalStateException}, never crashes the JVM. Each body runs in a forked JVM
 * ({@link CloseRaceBodies}), so a crash fails its test with the child's exit code and hs_err header.
 */
@Timeout(180)
class CloseRaceTest {

    private static void runsClean(String body) {
        ForkedJvm.Result r = ForkedJvm.run(CloseRaceBodies.class, body);
        assertEquals(0, r.exitCode(), r::describe);
        assertTrue(r.output().contains("ok"), r::describe);
    }

    @Test
    void facadeCloseRacingAllocateWriteFreeOnAnotherThreadNeverCrashes() {
        runsClean("facade-close-race");
    }

    @Test
    void sharedBumpArenaCloseRacingTwoAllocatingThreadsNeverCrashes() {
        runsClean("bump-close-race");
    }

    @Test
    void aRegionClosedUnderABumpArenaMakesItThrowNamingTheRegion() {
        runsClean("bump-region-closed");
    }

    @Test
    void aCheckedBlocksSegmentThrowsAfterItsRegionClosed() {
        runsClean("checked-block-region-closed");
    }
}
