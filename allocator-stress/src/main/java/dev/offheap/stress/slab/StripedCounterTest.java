package dev.offheap.stress.slab;

import dev.offheap.allocator.metrics.StripedCounter;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The slab's striped counter (remote frees, failures): two threads add to one cell at once (a
 * one-cell counter, so they always collide — the case where a non-atomic add would lose one), each
 * then reads the sum. The adds are atomic read-modify-writes of one location, so they are ordered:
 * whichever comes second read the first, and the sum its thread reads afterwards (coherence) holds
 * both. r1, r2: the sums the adders read after their own add (1 or 3; 2 or 3); r3: the sum at the end.
 */
@JCStressTest
@Description("StripedCounter: concurrent adds to one cell are never lost; each adder's later sum holds its own add.")
@Outcome(id = {"1, 3, 3", "3, 2, 3"}, expect = ACCEPTABLE, desc = "one add first, the other read both")
@Outcome(id = "3, 3, 3", expect = ACCEPTABLE_INTERESTING, desc = "both read after both adds")
@Outcome(id = "1, 2, 3", expect = FORBIDDEN, desc = "each saw only its own add: the adds were not ordered")
@Outcome(expect = FORBIDDEN, desc = "an add lost or doubled, or a sum without the reader's own add")
@State
public class StripedCounterTest {
    private final StripedCounter counter = new StripedCounter(1);

    @Actor
    public void adder1(III_Result r) {
        counter.increment();
        r.r1 = (int) counter.sum();
    }

    @Actor
    public void adder2(III_Result r) {
        counter.add(2);
        r.r2 = (int) counter.sum();
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = (int) counter.sum();
    }
}
