package dev.offheap.allocator.slab;

import dev.offheap.allocator.testing.Reuse;
import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generation rule at its wrap, and racing double frees, as issue 10 (items 3 and 6) asks. */
@Timeout(120)
class SlabGenerationAndRaceTest {
    private static final int LARGEST = SizeClasses.MAX_BLOCK_BYTES; // 8 slots a page

    @Test
    void aSlotWhoseGenerationWouldWrapIsRetiredAndItsStaleHandlesStayRefused() {
        try (SlabAllocator slab = SlabAllocator.builder().name("wrap").reserve(1L << 30).zeroing(false)
                .leakListener(r -> { }).build()) {
            long h = slab.allocate(LARGEST);
            long nearMax = slab.reissueForTest(h, Handles.MAX_GENERATION - 1);
            slab.free(nearMax);
            long last = Reuse.reuseOf(slab, LARGEST, nearMax);
            assertEquals(Handles.MAX_GENERATION, Handles.generation(last), "the slot's last generation");
            slab.free(last); // past MAX_GENERATION: the slot retires

            assertThrows(DoubleFreeException.class, () -> slab.free(last));
            assertThrows(DoubleFreeException.class, () -> slab.free(nearMax));
            assertThrows(UseAfterFreeException.class, () -> slab.segment(last));
            assertFalse(slab.isLive(last));
            // Never handed out again: fill the page and several more; no block lands in that slot.
            List<Long> blocks = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                long b = slab.allocate(LARGEST);
                assertNotEquals(Handles.location(last), Handles.location(b));
                blocks.add(b);
            }
            long samePage = blocks.stream().filter(b -> SegmentDescriptor.pageId(Handles.location(b))
                    == SegmentDescriptor.pageId(Handles.location(last))).count();
            assertEquals(7, samePage, "the page's 7 other slots were used (positive control)");
            blocks.forEach(slab::free);
            // The page emptied and retired with a base past the last generation: its id is dead.
            blocks.clear();
            for (int i = 0; i < 64; i++) {
                long b = slab.allocate(LARGEST);
                assertNotEquals(SegmentDescriptor.pageId(Handles.location(last)),
                        SegmentDescriptor.pageId(Handles.location(b)));
                blocks.add(b);
            }
            blocks.forEach(slab::free);
            assertThrows(DoubleFreeException.class, () -> slab.free(last));
            AllocatorSnapshot s = slab.snapshot();
            assertEquals(0, s.liveBlocks());
            assertEquals(3, s.doubleFrees());
        }
    }

    @Test
    void aPageReCarvedForAnotherClassRefusesHandlesOfItsOldCarving() {
        try (SlabAllocator slab = SlabAllocator.builder().name("recarve").reserve(1L << 30)
                .leakListener(r -> { }).build()) {
            List<Long> old = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                old.add(slab.allocate(1024)); // one 64-slot page
            }
            old.forEach(slab::free);
            slab.trim(); // the empty current page goes back
            List<Long> fresh = new ArrayList<>();
            for (int i = 0; i < 4096; i++) {
                fresh.add(slab.allocate(16)); // the freed unit, carved for 16-byte blocks
            }
            long recarved = fresh.stream().filter(b -> SegmentDescriptor.pageId(Handles.location(b))
                    == SegmentDescriptor.pageId(Handles.location(old.get(0)))).count();
            assertTrue(recarved > 0, "the old page id was carved again (positive control)");
            for (long stale : old) {
                assertFalse(slab.isLive(stale));
                assertThrows(DoubleFreeException.class, () -> slab.free(stale));
            }
            for (long b : fresh) {
                assertTrue(slab.isLive(b));
            }
            fresh.forEach(slab::free);
            assertEquals(0, slab.snapshot().liveBlocks());
        }
    }

    /**
     * The interleaving a real race rarely hits, on purpose: a remote free wins the state word by CAS,
     * then the owner's free, which read LIVE before that CAS, stores FREE over it. Both returned; the
     * owner's drain must find the remote entry stale, count one double free, and hand the slot out
     * once only.
     */
    @Test
    void theOwnersPlainStoreOverARemoteFreeIsCountedOnceAtTheDrainAndTheSlotIsHandedOutOnce() throws Exception {
        try (SlabAllocator slab = SlabAllocator.builder().name("race-exact").reserve(1L << 30)
                .leakListener(r -> { }).build()) {
            long h = slab.allocate(LARGEST);
            Thread remote = new Thread(() -> {
                slab.free(h); // wins the CAS: LIVE -> REMOTE
                slab.trim(); // sends its batch to the owner
            });
            remote.start();
            remote.join();
            slab.racingOwnerFreeForTest(h); // the owner's store, as if its check had passed first
            assertEquals(0, slab.snapshot().doubleFrees(), "not found before the drain");
            List<Long> blocks = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                blocks.add(slab.allocate(LARGEST)); // runs the page dry: the refill drains the batch
            }
            AllocatorSnapshot s = slab.snapshot();
            assertEquals(1, s.doubleFrees(), "the stale remote entry counted once");
            assertEquals(24, s.liveBlocks());
            long inSlot = blocks.stream().filter(b -> Handles.location(b) == Handles.location(h)).count();
            assertEquals(1, inSlot, "the slot was handed out exactly once");
            blocks.forEach(slab::free);
            AllocatorSnapshot end = slab.snapshot();
            assertEquals(0, end.liveBlocks());
            assertEquals(25, end.allocations());
            assertEquals(25, end.frees());
            assertEquals(1, end.doubleFrees());
        }
    }

    /**
     * The owner's plain free racing a remote free of the same block: in every trial exactly one
     * double free is caught, at the call (one threw) or at the owner's drain (both passed), and
     * the live count ends exact.
     */
    @Test
    void anOwnerFreeRacingARemoteFreeIsCaughtOnceAndLeavesCountsExact() throws Exception {
        int trials = 20_000;
        try (SlabAllocator slab = SlabAllocator.builder().name("race").reserve(1L << 30)
                .leakListener(r -> { }).build()) {
            CyclicBarrier start = new CyclicBarrier(2);
            CyclicBarrier done = new CyclicBarrier(2);
            AtomicLong handle = new AtomicLong();
            AtomicLong thrown = new AtomicLong();
            AtomicLong bothPassed = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long[] passed = new long[2];
            Runnable[] bodies = new Runnable[2];
            for (int who = 0; who < 2; who++) {
                int me = who;
                bodies[who] = () -> {
                    try {
                        for (int t = 0; t < trials; t++) {
                            if (me == 0) {
                                handle.set(slab.allocate(64)); // actor 0 owns the page
                            }
                            start.await();
                            boolean ok;
                            try {
                                slab.free(handle.get());
                                ok = true;
                            } catch (DoubleFreeException e) {
                                ok = false;
                                thrown.incrementAndGet();
                            }
                            passed[me] = ok ? 1 : 0;
                            done.await();
                            if (me == 0 && passed[0] + passed[1] == 2) {
                                bothPassed.incrementAndGet();
                            }
                            if (me == 0 && passed[0] + passed[1] == 0) {
                                throw new AssertionError("both frees threw: the block was never freed");
                            }
                        }
                        slab.trim(); // the remote thread sends its last batch; the owner drains
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                        start.reset();
                        done.reset();
                    }
                };
            }
            Thread owner = new Thread(bodies[0]);
            Thread remote = new Thread(bodies[1]);
            owner.start();
            remote.start();
            remote.join();
            owner.join();
            assertNull(failure.get(), () -> "a thread failed: " + failure.get());
            // The owner drains what the remote thread sent after the owner's last trim.
            Thread drain = new Thread(() -> slab.free(slab.allocate(64)));
            drain.start();
            drain.join();
            slab.trim();
            AllocatorSnapshot s = slab.snapshot();
            System.out.println("racing frees: both passed (found at drain) in " + bothPassed.get() + " of " + trials);
            assertEquals(trials, thrown.get() + bothPassed.get(), "every trial had one double free");
            assertEquals(trials, s.doubleFrees(), "each counted once: " + bothPassed.get() + " found at drain");
            assertEquals(0, s.liveBlocks());
            assertEquals(trials + 1, s.allocations());
            assertEquals(trials + 1, s.frees());
        }
    }
}
