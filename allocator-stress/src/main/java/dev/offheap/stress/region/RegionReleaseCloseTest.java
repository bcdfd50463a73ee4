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

import java.lang.foreign.ValueLayout;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/** Release of a span from one thread races the region's close on another: no exception, no leftovers. */
@JCStressTest
@Description("Region.release vs Region.close: both complete quietly, the segment is dead, nothing is counted.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "released (or a no-op after close); region empty and unmapped")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "release threw")
@Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "segment alive or counts left after close")
@State
public class RegionReleaseCloseTest {
    private final Region region = StressRegions.small();
    private final Span span = region.acquire(1);

    @Actor
    public void release(II_Result r) {
        try {
            region.release(span);
            r.r1 = 1;
        } catch (RuntimeException e) {
            r.r1 = 0;
        }
    }

    @Actor
    public void close() {
        region.close();
    }

    @Arbiter
    public void arbiter(II_Result r) {
        boolean dead;
        try {
            span.segment().get(ValueLayout.JAVA_BYTE, 0);
            dead = false;
        } catch (IllegalStateException expected) {
            dead = true;
        }
        r.r2 = dead && region.committedBytes() == 0 && region.usedBytes() == 0 ? 1 : 0;
    }
}
