package dev.offheap.stress.slab;

import dev.offheap.allocator.Handles;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.slab.SlabAllocator;
import dev.offheap.stress.StressSlabs;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The generation check under a race: a reader goes through {@code segment(h)} and {@code isLive(h)}
 * while another thread frees {@code h} and allocates again — from the same thread, so when that
 * thread owns the page the new block {@code h2} takes {@code h}'s slot (the slot just freed is on
 * top of the owner's free stack). Each block holds its own handle as a marker, written with a
 * release store and read with an acquire load.
 *
 * <p>The reader: {@code segment(h)}, read the marker (acquire), then {@code isLive(h)} (acquire).
 * Reading {@code h2}'s marker synchronizes with its writer, after which the free of {@code h} and
 * the new generation are visible: {@code isLive(h)} must then be false. Seeing {@code h2}'s marker
 * with {@code h} still live would mean the old handle passed the check for the reused block.
 *
 * <p>The trials share one allocator ({@link StressSlabs#SHARED}), so the slot {@code h} leaves may
 * be taken by another trial's allocation instead of {@code h2}: when the freer does not own
 * {@code h}'s page its free is remote, and the page's owner hands the slot out again. A reader
 * that kept its segment past the free then reads that other block's marker (r2 = 0), or zeros if
 * the purge pass gave the freed slot's page back. With {@code h} dead after the read, both are the
 * reader's own data race, as r1 = 3 is; with {@code h} still live they are forbidden.
 *
 * <p>r1: 0 {@link UseAfterFreeException}; 1 own marker, live after; 2 own marker, freed after;
 * 3 a later block's marker in h's slot, h dead (the reader's own data race: it kept a segment past
 * a free — allowed); 4 a later block's marker in h's slot and h live (forbidden); 5 other bytes,
 * or zeros with h live (forbidden); 6 the span was released ({@link IllegalStateException});
 * 7 zeros with h dead (the freed slot was purged under the stale segment — allowed). r2: 1 if h2
 * took h's slot.
 */
@JCStressTest
@Description("SlabAllocator segment/isLive vs free + reuse: the live block or UseAfterFreeException/false, never the reused block under the old handle.")
@Outcome(id = {"0, 0", "0, 1"}, expect = ACCEPTABLE, desc = "freed first: UseAfterFreeException")
@Outcome(id = {"1, 0", "1, 1"}, expect = ACCEPTABLE, desc = "read the live block before the free")
@Outcome(id = {"2, 0", "2, 1"}, expect = ACCEPTABLE_INTERESTING, desc = "read the block, then saw it freed")
@Outcome(id = "3, 1", expect = ACCEPTABLE_INTERESTING, desc = "segment taken before the free, read after reuse; h dead by then")
@Outcome(id = "3, 0", expect = ACCEPTABLE_INTERESTING, desc = "segment taken before the free, read after another trial reused the slot; h dead by then")
@Outcome(id = {"7, 0", "7, 1"}, expect = ACCEPTABLE_INTERESTING, desc = "segment taken before the free, read after the freed slot was purged; h dead by then")
@Outcome(id = "6, 0", expect = ACCEPTABLE_INTERESTING, desc = "segment's span already released")
@Outcome(id = {"4, 0", "4, 1"}, expect = FORBIDDEN, desc = "the reused block's bytes with the old handle still live")
@Outcome(id = {"5, 0", "5, 1", "6, 1"}, expect = FORBIDDEN, desc = "bytes of no block in h's slot, or zeros while h is live")
@State
public class SlabSegmentFreeTest {
    private static final VarHandle MARKER = ValueLayout.JAVA_LONG.varHandle();

    private final SlabAllocator slab = StressSlabs.SHARED;
    private final long handle = slab.allocate(StressSlabs.BLOCK);
    private long reused;

    public SlabSegmentFreeTest() {
        // release: the marker before the handle escapes (jcstress publishes the state safely anyway)
        MARKER.setRelease(slab.segment(handle), 0L, handle);
    }

    @Actor
    public void reader(II_Result r) {
        MemorySegment segment;
        try {
            segment = slab.segment(handle);
        } catch (UseAfterFreeException freed) {
            r.r1 = 0;
            return;
        }
        long marker;
        try {
            marker = (long) MARKER.getAcquire(segment, 0L);
        } catch (IllegalStateException released) {
            r.r1 = 6;
            return;
        }
        boolean liveAfter = slab.isLive(handle);
        if (marker == handle) {
            r.r1 = liveAfter ? 1 : 2;
        } else if (marker != 0 && Handles.location(marker) == Handles.location(handle)) {
            r.r1 = liveAfter ? 4 : 3;
        } else if (marker == 0 && !liveAfter) {
            r.r1 = 7;
        } else {
            r.r1 = 5;
        }
    }

    @Actor
    public void freer() {
        slab.free(handle);
        long next = slab.allocate(StressSlabs.BLOCK);
        // release: the new marker after the allocation's state store (see the class comment)
        MARKER.setRelease(slab.segment(next), 0L, next);
        reused = next;
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r2 = Handles.location(reused) == Handles.location(handle) ? 1 : 0;
        StressSlabs.freeIfLive(reused);
    }
}
