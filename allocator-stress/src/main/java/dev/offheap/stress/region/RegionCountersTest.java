package dev.offheap.stress.region;

import dev.offheap.allocator.region.Region;
import dev.offheap.stress.StressRegions;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The byte counters are read without the lock: a reader that sees a span's bytes as used must also
 * see them as committed (used is published after committed), and never a torn or partial value.
 */
@JCStressTest
@Description("Lock-free reads of usedBytes then committedBytes during an acquire: used never exceeds committed.")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "read before the acquire")
@Outcome(id = "0, 4096", expect = ACCEPTABLE, desc = "committed seen, used not yet")
@Outcome(id = "4096, 4096", expect = ACCEPTABLE, desc = "read after the acquire")
@Outcome(id = "4096, 0", expect = FORBIDDEN, desc = "used published before committed")
@Outcome(expect = FORBIDDEN, desc = "a value no acquire produces")
@State
public class RegionCountersTest {
    private final Region region = StressRegions.small();

    @Actor
    public void acquire() {
        region.acquire(1);
    }

    @Actor
    public void read(JJ_Result r) {
        r.r1 = region.usedBytes();
        r.r2 = region.committedBytes();
    }

    @Arbiter
    public void arbiter() {
        region.close();
    }
}
