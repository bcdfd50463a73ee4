package dev.offheap.stress.region;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;
import dev.offheap.stress.StressRegions;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.I_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/** Two threads acquire a chunk of one region at once: they never get the same chunk. */
@JCStressTest
@Description("Region.acquire vs Region.acquire never lends one chunk twice.")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "two distinct chunks")
@Outcome(id = "2", expect = ACCEPTABLE_INTERESTING, desc = "the limit refused one of them")
@Outcome(id = "0", expect = FORBIDDEN, desc = "one chunk lent to both threads")
@State
public class RegionAcquireAcquireTest {
    private final Region region = StressRegions.SHARED;
    private Span first;
    private Span second;

    @Actor
    public void actor1() {
        try {
            first = region.acquire(1);
        } catch (OutOfOffHeapMemoryException limit) {
            first = null;
        }
    }

    @Actor
    public void actor2() {
        try {
            second = region.acquire(1);
        } catch (OutOfOffHeapMemoryException limit) {
            second = null;
        }
    }

    @Arbiter
    public void arbiter(I_Result r) {
        if (first == null || second == null) {
            r.r1 = 2;
        } else {
            r.r1 = first.address() != second.address() ? 1 : 0;
        }
        if (first != null) {
            region.release(first);
        }
        if (second != null && second != first) {
            region.release(second);
        }
    }
}
