package dev.offheap.stress.slab;

import dev.offheap.allocator.Handles;
import dev.offheap.allocator.slab.SlabAllocator;
import dev.offheap.stress.Published;
import dev.offheap.stress.StressSlabs;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import java.lang.foreign.ValueLayout;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A remote free races with the page owner allocating again. Actor 1 allocates the state's block
 * {@code a} and {@code b}, hands {@code a} to actor 2 through a volatile field, then keeps
 * allocating ({@code c}, {@code d}); actor 2 frees {@code a} as soon as it sees it (a remote free:
 * actor 1 owns the page). The owner drains remote frees when it refills, so {@code c} or
 * {@code d} may reuse {@code a}'s slot — but only after {@code a} was freed. Blocks of the largest
 * class (8 a page) make the owner refill, and so drain, about every other trial.
 *
 * <p>r1: how many of c, d reuse a's slot; r2: 1 if a block was handed out twice while live
 * (two of a, b, c, d live at once on one slot, or a marker overwritten); r3: 1 if a is still live
 * at the end (its free was lost).
 */
@JCStressTest
@Description("SlabAllocator remote free vs owner allocate: no block handed out twice while live, no free lost.")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "a's slot not reused yet")
@Outcome(id = "1, 0, 0", expect = ACCEPTABLE_INTERESTING, desc = "the owner drained the remote free and reused a's slot")
@Outcome(id = "0, 0, 2", expect = ACCEPTABLE, desc = "the remote actor ran without the owner (jcstress's resource check): no race")
@Outcome(id = ".*, 1, .*", expect = FORBIDDEN, desc = "one slot live twice")
@Outcome(id = ".*, .*, 1", expect = FORBIDDEN, desc = "the remote free was lost")
@Outcome(expect = FORBIDDEN, desc = "anything else")
@State
public class SlabRemoteFreeAllocateTest {
    private final SlabAllocator slab = StressSlabs.SHARED;
    private volatile long a;
    private long b;
    private long c;
    private long d;
    private int overwritten;
    private volatile boolean remoteRanAlone;

    @Actor
    public void owner() {
        long mine = slab.allocate(StressSlabs.LARGEST_BLOCK);
        b = slab.allocate(StressSlabs.LARGEST_BLOCK);
        mark(b);
        a = mine; // volatile: publishes the block to the remote freer
        // Spend a little of the page so a refill (which drains remote frees) is likelier.
        c = slab.allocate(StressSlabs.LARGEST_BLOCK);
        mark(c);
        d = slab.allocate(StressSlabs.LARGEST_BLOCK);
        mark(d);
        if (!marked(b) || !marked(c) || !marked(d)) {
            overwritten = 1;
        }
    }

    @Actor
    public void remote() {
        long handle = Published.await(() -> a);
        if (handle == 0) {
            remoteRanAlone = true; // the owner never ran on this state: nothing to race with
            return;
        }
        slab.free(handle);
    }

    private void mark(long handle) {
        slab.segment(handle).set(ValueLayout.JAVA_LONG, 0, handle);
    }

    private boolean marked(long handle) {
        return slab.segment(handle).get(ValueLayout.JAVA_LONG, 0) == handle;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        if (remoteRanAlone) {
            // No race: the remote actor gave up before the owner published a (or the owner never
            // ran on this state). Give a back and record that alone.
            StressSlabs.freeIfLive(a);
            for (long h : new long[] {b, c, d}) {
                StressSlabs.freeIfLive(h);
            }
            r.r1 = 0;
            r.r2 = 0;
            r.r3 = 2;
            return;
        }
        long freed = a;
        int reused = 0;
        int twice = overwritten;
        long[] live = {b, c, d};
        for (int i = 0; i < live.length; i++) {
            if (slot(live[i]) == slot(freed)) {
                reused += i > 0 ? 1 : 0;
                twice |= i == 0 ? 1 : 0; // b was allocated while a was surely live
            }
            for (int j = i + 1; j < live.length; j++) {
                twice |= slot(live[i]) == slot(live[j]) ? 1 : 0;
            }
            twice |= slab.isLive(live[i]) ? 0 : 1;
        }
        r.r1 = reused;
        r.r2 = twice;
        r.r3 = slab.isLive(freed) ? 1 : 0;
        StressSlabs.freeIfLive(freed);
        for (long h : live) {
            StressSlabs.freeIfLive(h);
        }
    }

    private static long slot(long handle) {
        return Handles.location(handle);
    }
}
