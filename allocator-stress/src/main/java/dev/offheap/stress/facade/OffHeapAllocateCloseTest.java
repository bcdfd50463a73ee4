package dev.offheap.stress.facade;

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
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * {@link OffHeap#allocate} + write races {@link OffHeap#close()}: each call finishes or throws
 * {@link IllegalStateException}, and after the close no segment reaches the unmapped region.
 * (A crash would kill the jcstress fork: the run reports it as an error.) One façade per trial, so
 * the trials are few and slow; this is a test of outcomes, not of rates.
 */
@JCStressTest
@Description("OffHeap.allocate + write vs OffHeap.close.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "allocated and written before the close; the segment is dead after")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "closed first: IllegalStateException")
@Outcome(id = "3, 1", expect = ACCEPTABLE_INTERESTING, desc = "allocated, then the close won the race to the write")
@Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "a segment still works after close")
@Outcome(id = "2, .*", expect = FORBIDDEN, desc = "any other exception")
@State
public class OffHeapAllocateCloseTest {
    private final OffHeap memory = OffHeap.builder().name("jcstress-offheap").reserve(64L << 20)
            .leakListener(report -> { }).build();
    private volatile MemorySegment segment;

    @Actor
    public void allocateAndWrite(II_Result r) {
        MemorySegment s;
        try {
            s = memory.segment(memory.allocate(64));
        } catch (IllegalStateException closed) {
            r.r1 = 0;
            return;
        } catch (RuntimeException other) {
            r.r1 = 2;
            return;
        }
        segment = s;
        try {
            s.set(ValueLayout.JAVA_LONG, 0, 7L);
            r.r1 = 1;
        } catch (IllegalStateException closed) {
            r.r1 = 3;
        }
    }

    @Actor
    public void close() {
        try {
            memory.close();
        } catch (IllegalStateException spanInUse) {
            memory.close(); // refused while the other thread was inside a segment access: retried once it is out
        }
    }

    @Arbiter
    public void arbiter(II_Result r) {
        memory.close(); // idempotent; makes sure the region is gone before the check
        boolean dead = true;
        MemorySegment s = segment;
        if (s != null) {
            try {
                s.get(ValueLayout.JAVA_LONG, 0);
                dead = false;
            } catch (IllegalStateException expected) {
                // the region's close closed the span's scope
            }
        }
        r.r2 = dead ? 1 : 0;
    }
}
