package dev.offheap.stress.ownership;

import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.ownership.BlockAllocator;
import dev.offheap.allocator.ownership.LeakDetection;
import dev.offheap.allocator.ownership.MemoryBlock;
import dev.offheap.stress.StressSlabs;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * {@link MemoryBlock#move()} on one thread races {@link MemoryBlock#close()} of the same block on
 * another: exactly one wins (a CAS on the block's state). Either the new handle owns a live block,
 * or the block was freed and the move saw a closed block; never both, never neither.
 */
@JCStressTest
@Description("MemoryBlock.move vs close of the same unconfined block.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "move won: the new handle owns the live block; close did nothing")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "close won: the block was freed; move threw UseAfterFreeException")
@Outcome(id = "1, 0", expect = FORBIDDEN, desc = "moved, yet freed: the new handle names freed memory")
@Outcome(id = "0, 1", expect = FORBIDDEN, desc = "neither freed nor moved: a leak")
@Outcome(id = "2, .*", expect = FORBIDDEN, desc = "move threw something else")
@State
public class MemoryBlockMoveCloseTest {
    private static final BlockAllocator BLOCKS = BlockAllocator.over(StressSlabs.SHARED)
            .leakDetection(LeakDetection.DISABLED).build();
    private final MemoryBlock block = BLOCKS.allocate(StressSlabs.BLOCK);
    private final long handle = block.handle();
    private volatile MemoryBlock moved;

    @Actor
    public void move(II_Result r) {
        try {
            moved = block.move();
            r.r1 = 1;
        } catch (UseAfterFreeException closedFirst) {
            r.r1 = 0;
        } catch (RuntimeException other) {
            r.r1 = 2;
        }
    }

    @Actor
    public void close() {
        block.close();
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r2 = StressSlabs.SHARED.isLive(handle) ? 1 : 0;
        MemoryBlock m = moved;
        if (m != null) {
            m.close(); // the trial's clean-up
        }
    }
}
