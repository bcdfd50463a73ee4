package dev.offheap.stress.bump;

import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.stress.StressRegions;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.I_Result;

import java.lang.foreign.MemorySegment;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/** Two threads allocate from one shared arena at once: the blocks never overlap. */
@JCStressTest
@Description("Shared BumpArena.allocate vs allocate: disjoint blocks.")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "disjoint blocks")
@Outcome(id = "0", expect = FORBIDDEN, desc = "overlapping blocks")
@State
public class SharedBumpAllocateAllocateTest {
    private final BumpArena arena = BumpArena.builder().region(StressRegions.SHARED).shared(true).build();
    private MemorySegment a;
    private MemorySegment b;

    @Actor
    public void actor1() {
        a = arena.allocate(24, 8);
    }

    @Actor
    public void actor2() {
        b = arena.allocate(24, 8);
    }

    @Arbiter
    public void arbiter(I_Result r) {
        boolean disjoint = a.address() + a.byteSize() <= b.address() || b.address() + b.byteSize() <= a.address();
        r.r1 = disjoint ? 1 : 0;
        arena.close(); // gives the span back to the shared region
    }
}
