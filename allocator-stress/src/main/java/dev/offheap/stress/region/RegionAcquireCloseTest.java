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
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * One thread acquires a span and writes to it while another closes the region: the first either
 * gets the span before the close or a clear {@link IllegalStateException}; after the close the
 * span's segment throws and nothing is counted. A write that reached unmapped memory would crash
 * the forked JVM, which jcstress reports as an error.
 */
@JCStressTest
@Description("Region.acquire + write vs Region.close: a clear exception or a span, never unmapped memory.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "acquired and written before the close; segment dead after")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "closed first: acquire refused with IllegalStateException")
@Outcome(id = "2, 1", expect = ACCEPTABLE_INTERESTING, desc = "acquired, then the close won the race to the write: IllegalStateException")
@Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "a segment still works after close, or counts left over")
@State
public class RegionAcquireCloseTest {
    private final Region region = StressRegions.small();
    private Span span;

    @Actor
    public void acquireAndWrite(II_Result r) {
        Span s;
        try {
            s = region.acquire(1);
        } catch (IllegalStateException closed) {
            r.r1 = 0;
            return;
        }
        span = s;
        try {
            s.segment().set(ValueLayout.JAVA_LONG, 0, 42L);
            r.r1 = 1;
        } catch (IllegalStateException closed) {
            r.r1 = 2;
        }
    }

    @Actor
    public void close() {
        region.close();
    }

    @Arbiter
    public void arbiter(II_Result r) {
        boolean dead = true;
        if (span != null) {
            try {
                span.segment().get(ValueLayout.JAVA_LONG, 0);
                dead = false;
            } catch (IllegalStateException expected) {
                // the segment's scope was closed before the unmap
            }
        }
        r.r2 = dead && region.isClosed() && region.committedBytes() == 0 && region.usedBytes() == 0 ? 1 : 0;
    }
}
