package dev.offheap.stress.facade;

import dev.offheap.allocator.MisuseListener;
import dev.offheap.allocator.budget.BudgetedAllocator;
import dev.offheap.allocator.facade.OffHeap;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A child allocator's allocate + write races its close: the allocation finishes or throws
 * {@link IllegalStateException}; a block allocated before the close stays with the parent (its
 * segment keeps reaching memory no one else is given), never freed under it.
 */
@JCStressTest
@Description("BudgetedAllocator.allocate + write vs close of the child.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "allocated and written; the leaked block stays live in the parent")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "closed first: IllegalStateException, nothing allocated")
@Outcome(id = "1, 0", expect = FORBIDDEN, desc = "the close freed a block whose segment is still reachable")
@Outcome(id = "2, .*", expect = FORBIDDEN, desc = "any other exception")
@State
public class ChildAllocateCloseTest {
    private static final OffHeap PARENT = OffHeap.builder().name("jcstress-parent").reserve(1L << 30)
            .leakListener(report -> { }).build();
    private final BudgetedAllocator child = new BudgetedAllocator(PARENT, "jcstress-child", 1 << 20,
            report -> { }, MisuseListener.NONE);
    private volatile long handle;
    private volatile MemorySegment segment;

    @Actor
    public void allocateAndWrite(II_Result r) {
        try {
            long h = child.allocate(64);
            handle = h;
            segment = PARENT.segment(h);
            segment.set(ValueLayout.JAVA_LONG, 0, 7L);
            r.r1 = 1;
        } catch (IllegalStateException closed) {
            r.r1 = 0;
        } catch (RuntimeException other) {
            r.r1 = 2;
        }
    }

    @Actor
    public void close() {
        child.close();
    }

    @Arbiter
    public void arbiter(II_Result r) {
        long h = handle;
        r.r2 = h != 0 && PARENT.isLive(h) ? 1 : 0;
        if (r.r2 == 1) {
            PARENT.free(h); // the trial's clean-up: the parent frees the leaked block
        }
    }
}
