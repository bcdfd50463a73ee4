package dev.offheap.allocator.slab;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Another thread (the decay daemon, {@code trim()}) purges the free slots of the pages a live
 * platform thread holds but does not allocate from, so an idle service shrinks without its
 * threads' help; the holder's current pages stay as they are, and no live block loses a byte,
 * even while the holder allocates and switches pages during the purge.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlabPurgeHeldPagesTest {
    private static final int BLOCK = 256;
    private static final int BLOCKS = 16_384; // 4 MiB: many pages of the class, one of them current
    private static final int KEEP_EVERY = 64; // one kept block per 16 KiB: runs of three whole OS pages free

    @Test
    void anIdleThreadsFreeSlotsArePurgedByAnotherThreadAndItsLiveBlocksKeepTheirBytes() throws Exception {
        try (SlabAllocator slab = SlabAllocator.builder().name("purge-held").reserve(1L << 30).zeroing(false).build()) {
            IdleOwner owner = new IdleOwner(slab);
            owner.start();
            owner.filled.await();
            long freedBytes = (long) owner.freed.size() * BLOCK;

            long purged = slab.purgeEmptyPages(); // not the owner: it sleeps on its latch

            assertTrue(purged >= freedBytes / 2,
                    "most freed bytes lie in whole OS pages of pages the owner does not allocate from: purged="
                            + purged + " freed=" + freedBytes);
            owner.resume.countDown();
            owner.join();
            assertNull(owner.failure.get(), () -> "owner: " + owner.failure.get());
            assertEquals(owner.freed.size(), owner.reusedReadingZero.get() + owner.reusedKeepingBytes.get());
            assertTrue(owner.reusedReadingZero.get() > owner.freed.size() / 2,
                    "freed slots handed out again read zero with zeroing off: their OS pages went back; zero="
                            + owner.reusedReadingZero.get() + " kept=" + owner.reusedKeepingBytes.get());
        }
    }

    @Test
    void withoutThePurgeTheSameSlotsKeepTheirBytes() throws Exception { // the positive control
        try (SlabAllocator slab = SlabAllocator.builder().name("purge-held-control").reserve(1L << 30).zeroing(false).build()) {
            IdleOwner owner = new IdleOwner(slab);
            owner.start();
            owner.filled.await();
            owner.resume.countDown();
            owner.join();
            assertNull(owner.failure.get(), () -> "owner: " + owner.failure.get());
            assertEquals(owner.freed.size(), owner.reusedKeepingBytes.get(), "no purge: every freed slot still holds 0x5A");
        }
    }

    @Test
    void purgingWhileTheOwnerAllocatesAndSwitchesPagesNeverZeroesALiveBlock() throws Exception {
        try (SlabAllocator slab = SlabAllocator.builder().name("purge-race").reserve(1L << 30).zeroing(false).build()) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong purged = new AtomicLong();
            AtomicReference<Throwable> purgeFailure = new AtomicReference<>();
            Thread purger = Thread.ofPlatform().start(() -> {
                try {
                    while (!stop.get()) {
                        purged.addAndGet(slab.purgeEmptyPages());
                    }
                } catch (Throwable t) {
                    purgeFailure.set(t);
                }
            });
            long checks = churnCheckingPatterns(slab, 1_500);
            stop.set(true);
            purger.join();
            assertNull(purgeFailure.get());
            assertTrue(checks > 10_000, "the owner ran: checks=" + checks);
            assertTrue(purged.get() > 0, "the purger gave pages back meanwhile (else the race was not run)");
        }
    }

    /** Keeps about 4 096 live blocks of 256 B – 8 KiB, each filled with a byte of its own; checks each before its free. */
    private static long churnCheckingPatterns(SlabAllocator slab, long millis) {
        SplittableRandom random = new SplittableRandom(7);
        int n = 4096;
        long[] handles = new long[n];
        byte[] marks = new byte[n];
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long checks = 0;
        for (int step = 0; System.nanoTime() < deadline || step < 3 * n; step++) {
            int i = random.nextInt(n);
            if (handles[i] != 0) {
                MemorySegment block = slab.segment(handles[i]);
                long size = block.byteSize();
                for (long at : new long[] {0, size / 2, size - 1}) {
                    assertEquals(marks[i], block.get(ValueLayout.JAVA_BYTE, at), "a live block lost its bytes at " + at);
                }
                checks++;
                slab.free(handles[i]);
            }
            long size = 256L << random.nextInt(6);
            handles[i] = slab.allocate(size);
            marks[i] = (byte) (1 + random.nextInt(255));
            slab.segment(handles[i]).fill(marks[i]);
        }
        for (long h : handles) {
            if (h != 0) {
                slab.free(h);
            }
        }
        return checks;
    }

    /** Fills, frees all but one block in {@value #KEEP_EVERY}, sleeps until resumed, then checks and reuses. */
    private static final class IdleOwner extends Thread {
        final SlabAllocator slab;
        final CountDownLatch filled = new CountDownLatch(1);
        final CountDownLatch resume = new CountDownLatch(1);
        final List<Long> freed = new ArrayList<>();
        final AtomicLong reusedReadingZero = new AtomicLong();
        final AtomicLong reusedKeepingBytes = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        IdleOwner(SlabAllocator slab) {
            this.slab = slab;
        }

        @Override
        public void run() {
            List<Long> kept = new ArrayList<>();
            try {
                for (int i = 0; i < BLOCKS; i++) {
                    long h = slab.allocate(BLOCK);
                    slab.segment(h).fill((byte) 0x5A);
                    (i % KEEP_EVERY == 0 ? kept : freed).add(h);
                }
                freed.forEach(slab::free);
                filled.countDown();
                resume.await();
                for (long h : kept) {
                    MemorySegment block = slab.segment(h);
                    if (block.get(ValueLayout.JAVA_BYTE, 0) != 0x5A || block.get(ValueLayout.JAVA_BYTE, BLOCK - 1) != 0x5A) {
                        throw new AssertionError("a kept block lost its bytes: " + Long.toHexString(h));
                    }
                }
                for (int i = 0; i < freed.size(); i++) {
                    long h = slab.allocate(BLOCK);
                    (slab.segment(h).get(ValueLayout.JAVA_BYTE, 0) == 0 ? reusedReadingZero : reusedKeepingBytes).incrementAndGet();
                    kept.add(h);
                }
                kept.forEach(slab::free);
            } catch (Throwable t) {
                failure.set(t);
                filled.countDown();
            }
        }
    }
}
