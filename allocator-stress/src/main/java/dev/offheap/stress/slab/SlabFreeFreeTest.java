package dev.offheap.stress.slab;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.slab.SlabAllocator;
import dev.offheap.stress.StressSlabs;
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
 * Two threads free the same block at once. What {@code SlabAllocator}'s javadoc promises: two
 * frees by non-owner threads both CAS the block's state, so exactly one succeeds and the other
 * throws {@link DoubleFreeException}. Only when one of the two is the page's owner (a plain store,
 * to keep the owner's path CAS-free) may both pass the check; the second is then counted in
 * {@code doubleFrees} and kept off the free stack when the owner drains it, not thrown.
 *
 * <p>r1, r2: actor 1's and actor 2's free (1 returned, 0 {@link DoubleFreeException});
 * r3: 1 if the thread that allocated the block (its page's owner) is one of the two actors.
 */
@JCStressTest
@Description("SlabAllocator.free vs free of one block: exactly one succeeds, unless the owner's plain free overlaps.")
@Outcome(id = {"1, 0, 0", "0, 1, 0"}, expect = ACCEPTABLE, desc = "two remote frees: one won the CAS, the other threw DoubleFreeException")
@Outcome(id = {"1, 0, 1", "0, 1, 1"}, expect = ACCEPTABLE, desc = "owner and remote free: one passed, the other threw DoubleFreeException")
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE_INTERESTING, desc = "owner's plain free overlapped the remote CAS: both passed (documented; counted in doubleFrees at drain)")
@Outcome(id = "1, 1, 0", expect = FORBIDDEN, desc = "two remote frees both passed the CAS")
@Outcome(id = {"0, 0, 0", "0, 0, 1"}, expect = FORBIDDEN, desc = "both threw: the free was lost")
@State
public class SlabFreeFreeTest {
    private final SlabAllocator slab = StressSlabs.SHARED;
    private final Thread owner = Thread.currentThread();
    private final long handle = slab.allocate(StressSlabs.BLOCK);
    private volatile Thread first;
    private volatile Thread second;

    @Actor
    public void actor1(III_Result r) {
        first = Thread.currentThread();
        r.r1 = tryFree();
    }

    @Actor
    public void actor2(III_Result r) {
        second = Thread.currentThread();
        r.r2 = tryFree();
    }

    private int tryFree() {
        try {
            slab.free(handle);
            return 1;
        } catch (DoubleFreeException expected) {
            return 0;
        }
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = owner == first || owner == second ? 1 : 0;
        if (slab.isLive(handle)) {
            r.r1 = r.r2 = 0; // neither free took effect: reported as lost
            slab.free(handle);
        }
    }
}
