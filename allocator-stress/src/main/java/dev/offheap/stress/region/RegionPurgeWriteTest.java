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
import org.openjdk.jcstress.infra.results.JJ_Result;

import java.lang.foreign.ValueLayout;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * An allocator's purge pass ({@link Region#purge}, which the decay daemon runs for the allocators'
 * free space) racing a write to the same page of a span still lent: the page stays mapped, so the
 * write never faults; afterwards it reads either the value (written after the purge) or zero
 * (purged after the write), never anything else, and the span keeps working.
 */
@JCStressTest
@Description("Region.purge vs a write to the purged page: value or zero, never a fault.")
@Outcome(id = "42, 1", expect = ACCEPTABLE, desc = "the write came after the purge")
@Outcome(id = "0, 1", expect = ACCEPTABLE_INTERESTING, desc = "the purge came after the write: the page reads zero")
@Outcome(expect = FORBIDDEN, desc = "a value never written, or the span stopped working after the purge")
@State
public class RegionPurgeWriteTest {
    private final Region region = StressRegions.small();
    private final Span span = region.acquire(1);

    @Actor
    public void write() {
        span.segment().set(ValueLayout.JAVA_LONG, 64, 42L);
    }

    @Actor
    public void purge() {
        region.purge(span, 0, StressRegions.CHUNK);
    }

    @Arbiter
    public void arbiter(JJ_Result r) {
        r.r1 = span.segment().get(ValueLayout.JAVA_LONG, 64);
        span.segment().set(ValueLayout.JAVA_LONG, 0, 7L);
        r.r2 = span.segment().get(ValueLayout.JAVA_LONG, 0) == 7L ? 1 : 0;
        region.close();
    }
}
