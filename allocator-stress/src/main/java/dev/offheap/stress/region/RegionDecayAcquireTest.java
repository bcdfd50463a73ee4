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
import org.openjdk.jcstress.infra.results.III_Result;

import java.lang.foreign.ValueLayout;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The decay pass ({@link Region#trim()} runs the daemon's {@code decayIdle} with every idle chunk
 * due) racing an acquire that would reuse the idle chunk: the acquire gets either the idle chunk or
 * a freshly committed one, its write reads back, and the counts add up. A decommit under a span
 * just lent would make the write fault (a crash jcstress reports as an error) or read back zero.
 */
@JCStressTest
@Description("Region decay pass vs acquire of the idle chunk it decommits: a working span, exact counts.")
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "the pass decommitted the idle chunk; the acquire committed one")
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "the acquire took the idle chunk first; nothing left to decommit")
@Outcome(expect = FORBIDDEN, desc = "the acquired span did not hold its write, or the counts are wrong")
@State
public class RegionDecayAcquireTest {
    private final Region region = StressRegions.small();
    private Span span;

    public RegionDecayAcquireTest() {
        region.release(region.acquire(1)); // one idle committed chunk
    }

    @Actor
    public void acquireAndWrite(III_Result r) {
        Span s = region.acquire(1);
        span = s;
        s.segment().set(ValueLayout.JAVA_LONG, 8, 42L);
        r.r1 = s.segment().get(ValueLayout.JAVA_LONG, 8) == 42L ? 1 : 0;
    }

    @Actor
    public void decayPass(III_Result r) {
        r.r2 = region.trim() > 0 ? 1 : 0;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        boolean holds = span.segment().get(ValueLayout.JAVA_LONG, 8) == 42L;
        boolean counts = region.usedBytes() == StressRegions.CHUNK && region.committedBytes() == StressRegions.CHUNK;
        r.r3 = holds && counts ? 1 : 0;
        region.close();
    }
}
