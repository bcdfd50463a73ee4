package dev.offheap.allocator.region;

import dev.offheap.allocator.testing.ForkedJvm;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Region bodies that could crash the JVM or need one of their own, each in a forked JVM. */
@Timeout(180)
class RegionForkedTest {

    @ParameterizedTest(name = "{0} threads, commit ahead {1}")
    @CsvSource({"2, false", "2, true", "4, true"})
    void closeRacingAcquireWritePurgeAndReleaseNeverCrashes(int threads, boolean commitAhead) {
        ForkedJvm.Result r = ForkedJvm.run(RegionChildMains.class, "close-races", Integer.toString(threads),
                Boolean.toString(commitAhead));
        assertFalse(r.crashed(), r.describe());
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.output().contains("RESULT ok"), r.describe());
    }

    @Test
    void closingTheLastRegionStopsTheCommitterThread() {
        ForkedJvm.Result r = ForkedJvm.run(RegionChildMains.class, "committer-stops");
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.output().contains("runningBefore=true runningAfter=false"), r.describe());
    }
}
