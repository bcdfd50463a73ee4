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

import java.util.ArrayList;
import java.util.List;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The page owner's plain free of a block races a remote free of the same block, and the owner then
 * runs its page dry and empty (so it drains remote frees and retires pages) while the remote thread
 * sends its batch. What the slab promises: at most both frees pass (the owner's plain store
 * overwrote the remote CAS; counted at the owner's drain), never neither; and whatever the drain
 * finds, no block is handed out twice and the owner's later blocks stay intact (r3).
 *
 * <p>r1: the owner's free (1 passed, 0 {@link DoubleFreeException}); r2: the remote free;
 * r3: 1 if the owner's churn after the race saw every block intact and the raced block dead.
 */
@JCStressTest
@Description("SlabAllocator owner free vs remote free, then page retirement and drain: never lost, never handed out twice.")
@Outcome(id = {"1, 0, 1", "0, 1, 1"}, expect = ACCEPTABLE, desc = "one free won, the other threw DoubleFreeException")
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE_INTERESTING, desc = "the owner's plain store overwrote the remote CAS: both passed, counted at the drain")
@Outcome(id = {"1, 2, 1", "0, 2, 1"}, expect = ACCEPTABLE, desc = "the remote actor saw no block in time (jcstress's resource check runs actors apart): no race")
@Outcome(id = ".*, .*, 0", expect = FORBIDDEN, desc = "a block handed out twice, a marker overwritten, or the raced block live")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "both threw: the free was lost")
@Outcome(expect = FORBIDDEN, desc = "anything else")
@State
public class SlabOwnerRemoteFreeRetireTest {
    private final SlabAllocator slab = StressSlabs.SHARED;
    private volatile long handle;
    private int intact = 1;

    @Actor
    public void owner(III_Result r) {
        long h = slab.allocate(StressSlabs.LARGEST_BLOCK);
        handle = h; // volatile: publishes the block to the remote freer
        r.r1 = tryFree(h);
        // Run pages of the class dry (8 blocks a page) and empty again: refills drain remote frees,
        // and the empty pages retire.
        List<Long> blocks = new ArrayList<>(20);
        for (int i = 0; i < 20; i++) {
            long b = slab.allocate(StressSlabs.LARGEST_BLOCK);
            slab.putLong(b, 0, b);
            blocks.add(b);
        }
        for (long b : blocks) {
            if (slab.getLong(b, 0) != b) {
                intact = 0;
            }
            slab.free(b);
        }
    }

    @Actor
    public void remote(III_Result r) {
        long h = Published.await(() -> handle);
        if (h == 0) {
            r.r2 = 2; // the owner never ran on this state (jcstress's resource check): nothing to race with
            return;
        }
        r.r2 = tryFree(h);
        slab.trim(); // sends this thread's batch now, so the owner's drains see it soon
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
        r.r3 = intact == 1 && !slab.isLive(handle) ? 1 : 0;
    }
}
