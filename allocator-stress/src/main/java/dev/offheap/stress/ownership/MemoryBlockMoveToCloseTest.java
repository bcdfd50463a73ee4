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

import java.lang.foreign.ValueLayout;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A thread takes a block over with {@link MemoryBlock#moveTo(Thread)}, writes through its new
 * handle and closes it, while another thread closes the old handle: the block is freed exactly once
 * (no {@code DoubleFreeException}, nothing left live), and the writer either owns it or is told it
 * was closed.
 */
@JCStressTest
@Description("MemoryBlock.moveTo(current) + write + close vs close of the old handle.")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "moved, written and freed by the new owner; the old close did nothing")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "the old handle closed first: moveTo threw UseAfterFreeException")
@Outcome(id = ".*, 1", expect = FORBIDDEN, desc = "the block is still live after both closed: a leak")
@Outcome(id = "2, .*", expect = FORBIDDEN, desc = "a double free or any other exception")
@State
public class MemoryBlockMoveToCloseTest {
    private static final BlockAllocator BLOCKS = BlockAllocator.over(StressSlabs.SHARED)
            .leakDetection(LeakDetection.DISABLED).build();
    private final MemoryBlock block = BLOCKS.allocate(StressSlabs.BLOCK);
    private final long handle = block.handle();

    @Actor
    public void takeOver(II_Result r) {
        try {
            MemoryBlock mine = block.moveTo(Thread.currentThread());
            mine.segment().set(ValueLayout.JAVA_LONG, 0, 42L);
            mine.close();
            r.r1 = 1;
        } catch (UseAfterFreeException closedFirst) {
            r.r1 = 0;
        } catch (RuntimeException other) {
            r.r1 = 2;
        }
    }

    @Actor
    public void closeOld() {
        block.close();
    }

    @Arbiter
    public void arbiter(II_Result r) {
        boolean live = StressSlabs.SHARED.isLive(handle);
        r.r2 = live ? 1 : 0;
        if (live) {
            StressSlabs.SHARED.free(handle); // clean up a forbidden outcome so later trials run
        }
    }
}
