package dev.offheap.stress.bump;

import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.stress.StressRegions;
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
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/** Allocate-and-write on a shared arena races its close: a block or a clear exception, never a crash. */
@JCStressTest
@Description("Shared BumpArena.allocate + write vs close.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "allocated and written before the close; the block is dead after")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "closed first: IllegalStateException")
@Outcome(id = "2, 1", expect = ACCEPTABLE_INTERESTING, desc = "allocated, then the close won the race to the write")
@Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "the block still works after close")
@State
public class SharedBumpAllocateCloseTest {
    private final BumpArena arena = BumpArena.builder().region(StressRegions.SHARED).shared(true).build();
    private MemorySegment block;

    @Actor
    public void allocateAndWrite(II_Result r) {
        MemorySegment b;
        try {
            b = arena.allocate(16, 8);
        } catch (IllegalStateException closed) {
            r.r1 = 0;
            return;
        }
        block = b;
        try {
            b.set(ValueLayout.JAVA_LONG, 0, 7L);
            r.r1 = 1;
        } catch (IllegalStateException closed) {
            r.r1 = 2;
        }
    }

    @Actor
    public void close() {
        arena.close();
    }

    @Arbiter
    public void arbiter(II_Result r) {
        boolean dead = true;
        if (block != null) {
            try {
                block.get(ValueLayout.JAVA_LONG, 0);
                dead = false;
            } catch (IllegalStateException expected) {
                // the span's scope closed when the arena gave it back
            }
        }
        r.r2 = dead ? 1 : 0;
    }
}
