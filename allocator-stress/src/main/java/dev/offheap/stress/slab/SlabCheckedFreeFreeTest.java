package dev.offheap.stress.slab;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.slab.SlabAllocator;
import dev.offheap.stress.StressSlabs;
import dev.offheap.stress.Published;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Checked mode: the owner and another thread free one block at once. In checked mode the owner's
 * free is a CAS too, so exactly one wins, and only the winner closes the block's scope and poisons
 * it: a kept segment of the block is dead afterwards, and no other block's scope is touched (the
 * owner's next block, allocated after the race, stays usable: r3).
 *
 * <p>r1, r2: the owner's and the remote free (1 passed, 0 {@link DoubleFreeException});
 * r3: 1 if the raced block's segment is dead and a block allocated after it is alive and usable.
 */
@JCStressTest
@Description("Checked SlabAllocator free vs free: exactly one wins; only the winner closes the block's scope.")
@Outcome(id = {"1, 0, 1", "0, 1, 1"}, expect = ACCEPTABLE, desc = "one free won the CAS, the other threw DoubleFreeException")
@Outcome(id = {"1, 2, 1", "0, 2, 2"}, expect = ACCEPTABLE, desc = "the remote actor saw no block in time (jcstress's resource check runs actors apart): no race")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "both passed: checked mode must not let two frees through")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "both threw: the free was lost")
@Outcome(expect = FORBIDDEN, desc = "a scope left open, or another block's scope closed")
@State
public class SlabCheckedFreeFreeTest {
    private final SlabAllocator slab = StressSlabs.CHECKED;
    private volatile long handle;
    private volatile MemorySegment kept;
    private long next;

    @Actor
    public void owner(III_Result r) {
        long h = slab.allocate(64);
        kept = slab.segment(h);
        handle = h; // volatile: publishes the block (and its segment) to the remote freer
        r.r1 = tryFree(h);
        next = slab.allocate(64); // may land in the slot just freed, with a new scope
    }

    @Actor
    public void remote(III_Result r) {
        long h = Published.await(() -> handle);
        if (h == 0) {
            r.r2 = 2; // the owner never ran on this state (jcstress's resource check): nothing to race with
            return;
        }
        r.r2 = tryFree(h);
    }

    private int tryFree(long h) {
        try {
            slab.free(h);
            return 1;
        } catch (DoubleFreeException expected) {
            return 0;
        }
    }

    @Arbiter
    public void arbiter(III_Result r) {
        if (kept == null) {
            r.r3 = 2; // the owner never ran on this state (jcstress's resource check)
            return;
        }
        boolean rawDead = !kept.scope().isAlive();
        boolean nextUsable;
        try {
            slab.segment(next).set(ValueLayout.JAVA_LONG, 0, 7L);
            nextUsable = slab.segment(next).get(ValueLayout.JAVA_LONG, 0) == 7L;
        } catch (IllegalStateException closedByTheLoser) {
            nextUsable = false;
        }
        r.r3 = rawDead && nextUsable ? 1 : 0;
        slab.free(next);
    }
}
