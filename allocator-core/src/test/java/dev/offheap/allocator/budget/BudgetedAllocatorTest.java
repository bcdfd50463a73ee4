package dev.offheap.allocator.budget;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.freelist.TlsfAllocator;
import dev.offheap.allocator.large.LargeBlockAllocator;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.LeakListener;
import dev.offheap.allocator.LeakReport;
import dev.offheap.allocator.MisuseListener;
import dev.offheap.allocator.OffHeapException;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BudgetedAllocatorTest {
    private static final long KiB = 1024;

    @Test
    void aChildOverItsBudgetIsRefusedWhileTheParentAndSiblingsCarryOn() {
        try (TlsfAllocator parent = TlsfAllocator.builder().name("parent").reserve(64L << 20).build();
             BudgetedAllocator tenantA = parent.newChild("tenant-a", 64 * KiB);
             BudgetedAllocator tenantB = parent.newChild("tenant-b", 64 * KiB)) {
            List<Long> a = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                a.add(tenantA.allocate(16 * KiB));
            }
            assertEquals(64 * KiB, tenantA.usedBytes());
            var e = assertThrows(OutOfOffHeapMemoryException.class, () -> tenantA.allocate(1));
            assertTrue(e.getMessage().contains("name=tenant-a") && e.getMessage().contains("limit=65536")
                    && e.getMessage().contains("used=65536") && e.getMessage().contains("requested=1"), e.getMessage());
            assertEquals(1, tenantA.snapshot().failedAllocations());

            long b = tenantB.allocate(60 * KiB);
            long p = parent.allocate(512 * KiB);
            assertTrue(tenantB.isLive(b) && parent.isLive(p));

            tenantA.free(a.removeFirst());
            a.add(tenantA.allocate(16 * KiB)); // room again after a free
            assertEquals(64 * KiB, tenantA.usedBytes());
            assertEquals(4, tenantA.snapshot().liveBlocks());
            assertEquals(6, parent.snapshot().liveBlocks(), "the parent counts every child's blocks too");

            tenantB.free(b);
            parent.free(p);
            a.forEach(tenantA::free);
            assertEquals(0, parent.snapshot().liveBlocks());
        }
    }

    @Test
    void rounding_by_the_parent_counts_against_the_budget() {
        try (TlsfAllocator parent = TlsfAllocator.builder().reserve(16L << 20).build();
             BudgetedAllocator child = parent.newChild("child", 40)) {
            long h = child.allocate(17); // 32 usable bytes
            assertEquals(32, child.usedBytes());
            assertThrows(OutOfOffHeapMemoryException.class, () -> child.allocate(8)); // 8 fits, 16 does not
            assertEquals(1, parent.snapshot().liveBlocks(), "the refused block went back to the parent");
            child.free(h);
        }
    }

    @Test
    void closingAChildReportsItsLiveBlocksOnceAndLeavesThemToTheParent() {
        List<LeakReport> reports = new CopyOnWriteArrayList<>();
        try (TlsfAllocator parent = TlsfAllocator.builder().reserve(16L << 20).build()) {
            BudgetedAllocator child = new BudgetedAllocator(parent, "leaky", 1 << 20, reports::add, MisuseListener.NONE);
            long kept = child.allocate(100);
            child.allocate(1000);
            long freed = child.allocate(50);
            child.free(freed);
            child.close();
            child.close(); // idempotent: no second report
            assertEquals(1, reports.size(), reports::toString);
            assertEquals(2, reports.getFirst().blocks());
            assertEquals(112 + 1008, reports.getFirst().bytes());
            assertEquals("leaky", reports.getFirst().allocator());
            assertEquals(LeakReport.Cause.OUTSTANDING_AT_CLOSE, reports.getFirst().cause());
            assertEquals(2, child.snapshot().leaks());
            assertEquals(112 + 1008, child.leakedBytes());
            assertEquals(0, child.snapshot().liveBlocks(), "after close the child's memory figures read 0");
            assertEquals(0, child.usedBytes());
            assertEquals(2, parent.snapshot().liveBlocks(), "the leaked blocks stay allocated in the parent");
            assertTrue(parent.isLive(kept));
            assertThrows(IllegalStateException.class, () -> child.allocate(16));
            assertThrows(IllegalStateException.class, () -> child.free(kept));
            assertThrows(IllegalStateException.class, () -> child.segment(kept));
            assertFalse(child.isLive(kept));
            long after = parent.allocate(16); // the parent carries on
            parent.free(after);
        }
    }

    @Test
    void aSegmentKeptFromAClosedChildNeverReachesTheParentsNextBlocks() {
        try (TlsfAllocator parent = TlsfAllocator.builder().reserve(16L << 20).build()) {
            BudgetedAllocator child = parent.newChild("closing", 1 << 20);
            MemorySegment kept = child.segment(child.allocate(4096));
            child.close();
            List<Long> next = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                long h = parent.allocate(4096);
                next.add(h);
                MemorySegment s = parent.segment(h);
                assertTrue(s.address() + s.byteSize() <= kept.address() || kept.address() + kept.byteSize() <= s.address(),
                        "a parent block landed under the closed child's segment: block=" + s + ", kept=" + kept);
                s.fill((byte) 0x11);
            }
            kept.fill((byte) 0x7f); // still the leaked block's own bytes
            for (long h : next) {
                MemorySegment s = parent.segment(h);
                assertEquals(-1L, s.mismatch(MemorySegment.ofArray(filled(s.byteSize(), (byte) 0x11))),
                        "a write through the kept segment changed another block");
                parent.free(h);
            }
        }
    }

    @Test
    void aChildsMisuseIsClassifiedAndCountedByTheChildNotTheParent() {
        List<OffHeapException> heard = new CopyOnWriteArrayList<>();
        try (TlsfAllocator parent = TlsfAllocator.builder().reserve(16L << 20).build();
             BudgetedAllocator child = new BudgetedAllocator(parent, "careless", 1 << 20, LeakListener.logging(),
                     (allocator, misuse) -> heard.add(misuse))) {
            long h = child.allocate(64);
            child.free(h);
            DoubleFreeException df = assertThrows(DoubleFreeException.class, () -> child.free(h));
            assertTrue(df.getMessage().startsWith("double free: ") && df.getMessage().contains("allocator=careless"),
                    df.getMessage());
            assertThrows(UseAfterFreeException.class, () -> child.segment(h));
            assertThrows(UseAfterFreeException.class, () -> child.byteSize(h));
            assertThrows(ForeignPointerException.class, () -> child.free(Handles.pack(0, 1, 1, 5)));
            AllocatorSnapshot c = child.snapshot();
            assertEquals(1, c.doubleFrees());
            assertEquals(2, c.useAfterFrees());
            assertEquals(1, child.foreignHandles());
            AllocatorSnapshot p = parent.snapshot();
            assertEquals(0, p.doubleFrees(), "the parent never saw the child's misuse");
            assertEquals(0, p.useAfterFrees());
            assertEquals(1, p.frees(), "one real free reached the parent");
            assertEquals(4, heard.size(), heard::toString);
            assertInstanceOf(DoubleFreeException.class, heard.getFirst());
            long again = child.allocate(64); // still usable
            child.free(again);
        }
    }

    @Test
    void racingFreesOfOneHandleThroughTheChildFreeItOnceAndCountTheOtherOnce() throws Exception {
        try (TlsfAllocator parent = TlsfAllocator.builder().reserve(16L << 20).build();
             BudgetedAllocator child = parent.newChild("racy", 1 << 20)) {
            int rounds = 2_000;
            AtomicInteger wins = new AtomicInteger();
            AtomicInteger doubleFrees = new AtomicInteger();
            List<Throwable> other = new CopyOnWriteArrayList<>();
            for (int i = 0; i < rounds; i++) {
                long h = child.allocate(64);
                CyclicBarrier start = new CyclicBarrier(2);
                Runnable freeIt = () -> {
                    try {
                        start.await();
                        child.free(h);
                        wins.incrementAndGet();
                    } catch (DoubleFreeException expected) {
                        doubleFrees.incrementAndGet();
                    } catch (Throwable t) {
                        other.add(t);
                    }
                };
                Thread a = Thread.ofPlatform().start(freeIt);
                Thread b = Thread.ofPlatform().start(freeIt);
                a.join();
                b.join();
            }
            assertEquals(List.of(), other);
            assertEquals(rounds, wins.get(), "each block freed exactly once");
            assertEquals(rounds, doubleFrees.get());
            assertEquals(rounds, child.snapshot().doubleFrees(), "each race counted once, by the child");
            assertEquals(0, parent.snapshot().doubleFrees());
            assertEquals(0, parent.snapshot().liveBlocks());
            assertEquals(0, child.usedBytes());
        }
    }

    private static byte[] filled(long n, byte value) {
        byte[] a = new byte[(int) n];
        java.util.Arrays.fill(a, value);
        return a;
    }

    @Test
    void handlesOfTheParentOrASiblingAreForeignAndStaleOnesAreCaught() {
        try (TlsfAllocator parent = TlsfAllocator.builder().reserve(16L << 20).build();
             BudgetedAllocator one = parent.newChild("one", 1 << 20);
             BudgetedAllocator two = parent.newChild("two", 1 << 20)) {
            long h1 = one.allocate(64);
            long h2 = two.allocate(64);
            long hp = parent.allocate(64);
            assertThrows(ForeignPointerException.class, () -> one.free(h2));
            assertThrows(ForeignPointerException.class, () -> one.free(hp));
            assertThrows(ForeignPointerException.class, () -> one.segment(h2));
            assertTrue(two.isLive(h2) && parent.isLive(hp));
            assertFalse(one.isLive(h2));
            one.free(h1);
            assertThrows(DoubleFreeException.class, () -> one.free(h1));
            assertThrows(UseAfterFreeException.class, () -> one.segment(h1));
            assertEquals(0, one.usedBytes());
            assertEquals(64, two.usedBytes());
            two.free(h2);
            parent.free(hp);
        }
    }

    @Test
    void anyHandleAllocatorCanBeTheParent() {
        try (LargeBlockAllocator large = LargeBlockAllocator.builder().reserve(64L << 20).build();
             BudgetedAllocator child = new BudgetedAllocator(large, "large-child", 4L << 20)) {
            long h = child.allocate(3L << 20);
            assertEquals(4L << 20, child.usedBytes());
            assertThrows(OutOfOffHeapMemoryException.class, () -> child.allocate(1));
            child.free(h);
            assertEquals(0, child.usedBytes());
            assertThrows(IllegalArgumentException.class, () -> new BudgetedAllocator(large, "bad", 0));
        }
    }

    @Test
    void childrenUsedFromSeveralThreadsKeepExactAccountsAndBudgets() throws InterruptedException {
        try (TlsfAllocator parent = TlsfAllocator.builder().reserve(256L << 20).build();
             BudgetedAllocator shared = parent.newChild("shared", 256 * KiB)) {
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    try (BudgetedAllocator own = parent.newChild("own-" + seed, 128 * KiB)) {
                        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
                        List<Long> mine = new ArrayList<>();
                        List<Long> inShared = new ArrayList<>();
                        for (int i = 0; i < 3_000; i++) {
                            BudgetedAllocator to = random.nextBoolean() ? own : shared;
                            List<Long> list = to == own ? mine : inShared;
                            if (list.isEmpty() || random.nextInt(3) > 0) {
                                try {
                                    list.add(to.allocate(16 + random.nextInt(8 * 1024)));
                                } catch (OutOfOffHeapMemoryException overBudget) {
                                    assertTrue(to.usedBytes() <= to.limitBytes());
                                }
                            } else {
                                to.free(list.remove(random.nextInt(list.size())));
                            }
                            assertTrue(own.usedBytes() <= own.limitBytes());
                        }
                        mine.forEach(own::free);
                        inShared.forEach(shared::free);
                        assertEquals(0, own.usedBytes());
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(List.of(), failures);
            assertEquals(0, shared.usedBytes());
            assertEquals(0, shared.snapshot().liveBlocks());
            assertEquals(0, parent.snapshot().liveBlocks());
            assertTrue(shared.snapshot().failedAllocations() > 0, "the shared budget was hit");
        }
    }
}
