package dev.offheap.allocator.budget;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.freelist.TlsfAllocator;
import dev.offheap.allocator.large.LargeBlockAllocator;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void closingAChildWithLiveBlocksFreesAndReportsThem() {
        try (TlsfAllocator parent = TlsfAllocator.builder().reserve(16L << 20).build()) {
            BudgetedAllocator child = parent.newChild("leaky", 1 << 20);
            long kept = child.allocate(100);
            child.allocate(1000);
            long freed = child.allocate(50);
            child.free(freed);
            child.close();
            child.close(); // idempotent
            assertEquals(2, child.snapshot().leaks());
            assertEquals(112 + 1008, child.leakedBytes());
            assertEquals(0, parent.snapshot().liveBlocks(), "the child's blocks went back to the parent");
            assertFalse(parent.isLive(kept));
            assertThrows(IllegalStateException.class, () -> child.allocate(16));
            assertThrows(IllegalStateException.class, () -> child.free(kept));
            assertFalse(child.isLive(kept));
            long after = parent.allocate(16); // the parent carries on
            parent.free(after);
        }
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
