package dev.offheap.stress.region;

import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;
import dev.offheap.stress.StressRegions;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A release on one thread races an acquire of the same length on another. The released run keeps
 * its scope while idle, so the acquire may lend it again with that scope: the old span's segment
 * then aliases the new lending (the documented guarantee), and once the region decommits the run
 * every segment of it throws.
 */
@JCStressTest
@Description("Region.release vs Region.acquire of the same length: runs never overlap, a reused run aliases, trim kills stale segments.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "the acquire reused the released run (same scope), both segments die at trim")
@Outcome(id = "2, 1", expect = ACCEPTABLE, desc = "the acquire got another run; the released one dies at trim")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "the new span overlaps the old one while the old was lent, or does not alias it")
@Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "a segment of a decommitted run still reached memory")
@State
public class RegionReleaseReacquireTest {
    private final Region region = StressRegions.small();
    private final Span first = region.acquire(1);
    private final MemorySegment kept = first.segment();
    private Span second;

    @Actor
    public void release() {
        region.release(first);
    }

    @Actor
    public void acquire() {
        second = region.acquire(1);
    }

    @Arbiter
    public void arbiter(II_Result r) {
        try {
            if (second.address() == first.address()) {
                second.segment().set(ValueLayout.JAVA_LONG, 0, 42L);
                r.r1 = kept.get(ValueLayout.JAVA_LONG, 0) == 42L ? 1 : 0;
            } else {
                second.segment().set(ValueLayout.JAVA_LONG, 0, 7L);
                r.r1 = 2;
            }
            region.release(second);
            region.trim();
            boolean dead;
            try {
                kept.get(ValueLayout.JAVA_BYTE, 0);
                dead = false;
            } catch (IllegalStateException expected) {
                dead = true;
            }
            r.r2 = dead ? 1 : 0;
        } finally {
            region.close();
        }
    }
}
