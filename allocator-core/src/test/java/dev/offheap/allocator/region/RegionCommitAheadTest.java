package dev.offheap.allocator.region;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.offheap.allocator.testing.Patterns;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The background committer: chunks ready ahead of need, commits on the caller counted, the limit and decay kept. */
@Timeout(60)
class RegionCommitAheadTest {
    private static final long MiB = 1L << 20;
    private static final long CHUNK = 2 * MiB;

    private static Region.Builder ahead(long bytes) {
        return Region.builder().name("ahead").reserve(128 * MiB).chunkSize(CHUNK).commitAhead(bytes)
                .decay(Duration.ofHours(1));
    }

    /** Polls until {@code condition} holds or 10 s pass; {@return whether it held} */
    private static boolean eventually(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    @Test
    void buildCommitsTheFirstChunkSoTheFirstAcquireCommitsNothingOnTheCaller() {
        try (Region region = ahead(CHUNK).build()) {
            assertEquals(CHUNK, region.committedBytes(), "ready after build");
            assertEquals(0, region.usedBytes());
            region.acquire(CHUNK);
            assertEquals(0, region.commitsOnCaller(), "the first acquire found its chunk ready");
        }
        try (Region off = ahead(0).build()) {
            assertEquals(0, off.committedBytes(), "control: with commit ahead off nothing is committed at build");
            off.acquire(CHUNK);
            assertEquals(CHUNK, off.committedBytes(), "control: then the first acquire commits exactly its chunk");
            assertEquals(0, off.commitsOnCaller(), "without a committer nothing falls behind: not counted");
        }
        try (Region region = ahead(CHUNK).build()) {
            region.acquire(2 * CHUNK);
            assertEquals(1, region.commitsOnCaller(), "control: a run longer than what is ready commits on the caller");
            assertEquals(CHUNK, region.commitOnCallerBytes(), "the chunk it lacked");
        }
    }

    @Test
    void afterAnAcquireTheCommitterGetsTheNextChunkReady() throws InterruptedException {
        try (Region region = ahead(CHUNK).build()) {
            region.acquire(CHUNK);
            region.acquire(CHUNK);
            // committed counts a chunk in flight; the total counts it once it is ready
            assertTrue(eventually(() -> region.committedBytes() - region.usedBytes() >= CHUNK
                            && region.precommittedBytesTotal() >= 2 * CHUNK),
                    "a chunk ready beyond the used ones, build's and one more made by the committer: " + region);
            assertEquals(region.committedBytes() - region.usedBytes(), region.commitAheadBytes(),
                    "no more ready than asked");
        }
    }

    @Test
    void growthTheCommitterKeepsUpWithCommitsNothingOnTheCaller() throws InterruptedException {
        try (Region region = ahead(CHUNK).build()) {
            for (int i = 0; i < 24; i++) {
                region.acquire(CHUNK).segment().fill((byte) 1);
                long made = (i + 2) * CHUNK; // build's chunk, then one per acquire
                // Ready, not just in flight (committed counts a chunk in flight; the total counts it when done).
                assertTrue(eventually(() -> region.precommittedBytesTotal() >= made), region.toString());
            }
            assertEquals(24 * CHUNK, region.usedBytes());
            assertEquals(0, region.commitsOnCaller(), "every acquire found a ready chunk");
            assertEquals(0, region.snapshot().commitsOnCaller());
            assertEquals(0, region.snapshot().commitOnCallerBytes());
        }
    }

    @Test
    void growthThatOutrunsTheCommitterIsCountedOnTheCaller() {
        try (Region region = ahead(CHUNK).build()) {
            for (int i = 0; i < 4; i++) {
                region.acquire(4 * CHUNK); // longer than what is kept ready: at least 3 chunks on the caller
            }
            assertTrue(region.commitsOnCaller() >= 4, "commitsOnCaller=" + region.commitsOnCaller());
            assertTrue(region.commitOnCallerBytes() >= 4 * 3 * CHUNK, "commitOnCallerBytes=" + region.commitOnCallerBytes());
            assertEquals(region.commitsOnCaller(), region.snapshot().commitsOnCaller());
            assertEquals(region.commitOnCallerBytes(), region.snapshot().commitOnCallerBytes());
        }
    }

    @Test
    void theCommitterNeverCommitsPastTheLimit() throws InterruptedException {
        FaultyMemory kernel = new FaultyMemory();
        try (Region region = ahead(2 * CHUNK).limit(3 * CHUNK).memory(kernel).build()) {
            region.acquire(CHUNK);
            // Both ready, not one in flight: committed counts a chunk in flight, the total counts it when done.
            assertTrue(eventually(() -> region.committedBytes() == 3 * CHUNK && region.precommittedBytesTotal() == 3 * CHUNK),
                    "two ready under the limit: " + region);
            region.acquire(CHUNK);
            region.acquire(CHUNK);
            assertEquals(0, region.commitsOnCaller(), "both found ready chunks");
            Thread.sleep(200); // the committer was asked again, and must find no room
            assertEquals(3 * CHUNK, region.committedBytes());
            assertEquals(3 * CHUNK, region.usedBytes());
            assertTrue(kernel.peakCommittedBytes.get() <= 3 * CHUNK, "peak=" + kernel.peakCommittedBytes.get());
            assertTrue(region.peakCommittedBytes() <= 3 * CHUNK, "peak=" + region.peakCommittedBytes());
            assertEquals(kernel.committedBytes.get(), region.committedBytes(), "counters match the kernel");
        }
    }

    @Test
    void readyChunksDecayWhenNoAcquireTakesThemAndAreNotMadeAgain() throws InterruptedException {
        try (Region region = ahead(CHUNK).decay(Duration.ofMillis(200)).build()) {
            assertEquals(CHUNK, region.committedBytes(), "ready after build");
            assertTrue(eventually(() -> region.committedBytes() == 0), "the ready chunk decayed: " + region);
            Thread.sleep(500);
            assertEquals(0, region.committedBytes(), "an idle region stays empty");
            region.acquire(CHUNK);
            assertTrue(eventually(() -> region.committedBytes() == 2 * CHUNK),
                    "control: an acquire asks for a ready chunk again: " + region);
        }
    }

    @Test
    void trimGivesBackReadyChunksAndNoneIsMadeAgainUntilAnAcquireAsks() throws InterruptedException {
        try (Region region = ahead(2 * CHUNK).build()) {
            region.acquire(CHUNK);
            assertTrue(eventually(() -> region.committedBytes() == 3 * CHUNK), region.toString());
            assertEquals(2 * CHUNK, region.trim());
            Thread.sleep(200);
            assertEquals(CHUNK, region.committedBytes(), "only the used chunk");
        }
    }

    @Test
    void aRefusedPreCommitIsUndoneCountedAndTheAcquireCommitsItself() throws InterruptedException {
        FaultyMemory kernel = new FaultyMemory().failNext(FaultyMemory.Call.COMMIT, 1);
        try (Region region = ahead(CHUNK).backgroundDecay(false).memory(kernel).build()) {
            assertEquals(1, kernel.injected(FaultyMemory.Call.COMMIT));
            assertEquals(1, region.maintenanceFailures(), "the refused commit at build is counted");
            assertEquals(1, region.snapshot().maintenanceFailures());
            assertEquals(0, region.committedBytes(), "and undone");
            assertEquals(0, kernel.committedBytes.get());
            region.acquire(CHUNK);
            assertEquals(1, region.commitsOnCaller());
            assertEquals(CHUNK, region.commitOnCallerBytes());
            assertTrue(eventually(() -> region.committedBytes() == 2 * CHUNK), "the committer recovered: " + region);
            assertEquals(kernel.committedBytes.get(), region.committedBytes(), "counters match the kernel");
        }
    }

    @Test
    void aRefusedPreFaultIsCountedAndLeavesTheChunkReady() {
        FaultyMemory kernel = new FaultyMemory().failNext(FaultyMemory.Call.POPULATE, 1);
        try (Region region = ahead(CHUNK).backgroundDecay(false).memory(kernel).build()) {
            assertEquals(1, kernel.injected(FaultyMemory.Call.POPULATE));
            assertEquals(1, region.maintenanceFailures(), "the refused pre-fault at build is counted");
            assertEquals(CHUNK, region.committedBytes(), "the commit itself passed: the chunk stays ready");
            assertEquals(kernel.committedBytes.get(), region.committedBytes(), "counters match the kernel");
            Span ready = region.acquire(CHUNK);
            assertEquals(0, region.commitsOnCaller(), "lent as it was, its pages faulted in by their first touch");
            Patterns.fill(ready.segment(), 5);
            assertTrue(Patterns.holds(ready.segment(), 5));
        }
    }

    @Test
    void growthIsLentCommittedChunksWhileTheCommitterPreFaultsThemAndTheUsersBytesSurvive() throws InterruptedException {
        FaultyMemory kernel = new FaultyMemory();
        try (Region region = ahead(2 * CHUNK).memory(kernel).build()) {
            String builder = "in place@" + Thread.currentThread().getName();
            assertEquals(2 * CHUNK, kernel.prefaulted(builder), "build pre-faults the first ready chunks on the builder's thread");
            assertTrue(kernel.prefaults.stream().allMatch(builder::equals), "and nothing else: " + kernel.prefaults);
            CountDownLatch gate = kernel.holdPrefaults();
            Span lent;
            try {
                region.acquire(CHUNK);
                region.acquire(CHUNK);
                assertTrue(eventually(() -> kernel.atGate.get() == 1 && region.committedBytes() == 4 * CHUNK),
                        "the committer committed two more chunks and the pre-faulter waits on the first: " + region);
                lent = region.acquire(CHUNK);
                assertEquals(0, region.commitsOnCaller(), "the chunk was lent without waiting for its pre-fault");
                assertEquals(region.baseAddress() + 2 * CHUNK, lent.address(), "the chunk whose pre-fault is held");
                Patterns.fill(lent.segment(), 9);
            } finally {
                gate.countDown(); // else close would wait for the held pre-fault
            }
            String prefaulter = "in place@" + RegionCommitter.PREFAULT_THREAD_NAME;
            assertTrue(eventually(() -> kernel.prefaulted(prefaulter) >= 2 * CHUNK),
                    "both new chunks pre-faulted by the pre-faulter: " + kernel.prefaults);
            assertTrue(Patterns.holds(lent.segment(), 9), "a pre-fault in place keeps what the user wrote");
            assertEquals(kernel.committedBytes.get(), region.committedBytes(), "counters match the kernel");
        }
    }

    @Test
    void trimDuringAPreFaultDecommitsAtOnceAndTheLatePreFaultFaultsNothingIn() throws Exception {
        FaultyMemory kernel = new FaultyMemory();
        try (Region region = ahead(2 * CHUNK).memory(kernel).build()) {
            CountDownLatch gate = kernel.holdPrefaults();
            try {
                region.acquire(CHUNK);
                assertTrue(eventually(() -> kernel.atGate.get() == 1), "the pre-faulter holds the new chunk: " + region);
                assertEquals(2 * CHUNK, region.trim(), "trim does not wait for the pre-fault: both idle chunks go back");
                assertEquals(CHUNK, region.committedBytes());
            } finally {
                gate.countDown();
            }
            // The pre-fault reaches the kernel after the decommit made its range PROT_NONE: refused,
            // so it cannot fault a page in there (a decommit in the old order, pages first, could
            // have been followed by this pre-fault and left 2 MiB resident).
            assertTrue(eventually(() -> kernel.kernelRefusedPrefaults.get() == 1), "the late pre-fault was refused");
            assertTrue(eventually(() -> kernel.atGate.get() == 0));
            assertEquals(0, region.maintenanceFailures(), "a refusal that met a decommit is expected, not reported");
            assertEquals(kernel.committedBytes.get(), region.committedBytes(), "counters match the kernel");
        }
    }

    @Test
    void aRefusedPreFaultThatMetNoDecommitIsReported() throws InterruptedException {
        FaultyMemory kernel = new FaultyMemory();
        try (Region region = ahead(CHUNK).memory(kernel).build()) {
            kernel.failNext(FaultyMemory.Call.POPULATE, 1);
            region.acquire(CHUNK);
            assertTrue(eventually(() -> region.maintenanceFailures() == 1), "control: reported " + region);
            assertEquals(2 * CHUNK, region.committedBytes(), "the chunk stays committed and ready");
        }
    }

    @Test
    void aCallersOwnCommitLeavesThePreFaultToTheCommitter() throws InterruptedException {
        String caller = "writing@" + Thread.currentThread().getName();
        FaultyMemory kernel = new FaultyMemory();
        try (Region region = ahead(CHUNK).memory(kernel).build()) {
            String onCaller = "in place@" + Thread.currentThread().getName();
            String prefaulter = "in place@" + RegionCommitter.PREFAULT_THREAD_NAME;
            long callerBefore = kernel.prefaulted(onCaller);
            long before = kernel.prefaulted(prefaulter);
            region.acquire(4 * CHUNK);
            assertEquals(1, region.commitsOnCaller(), "longer than what is ready: committed on the caller");
            assertTrue(eventually(() -> kernel.prefaulted(prefaulter) >= before + 3 * CHUNK),
                    "the three chunks it committed, pre-faulted by the pre-faulter: " + kernel.prefaults);
            assertEquals(callerBefore, kernel.prefaulted(onCaller), "none on the caller");
            assertEquals(0, kernel.prefaulted(caller), "none on the caller");
        }
        FaultyMemory offKernel = new FaultyMemory();
        try (Region off = ahead(0).memory(offKernel).build()) {
            off.acquire(4 * CHUNK);
            assertEquals(List.of(caller), offKernel.prefaults, "control: with commit ahead off the caller pre-faults");
        }
    }

    @Test
    void withoutAnInPlacePreFaultReadyChunksArePreFaultedBeforeTheyCanBeLent() {
        FaultyMemory kernel = new FaultyMemory();
        kernel.noInPlacePrefault = true;
        String builder = Thread.currentThread().getName();
        try (Region region = ahead(2 * CHUNK).memory(kernel).build()) {
            // The first chunk teaches the region that the kernel lacks the call; both are pre-faulted
            // by the writing kind while nobody can be lent them.
            assertEquals(List.of("writing@" + builder, "writing@" + builder), kernel.prefaults);
            assertEquals(2 * CHUNK, region.committedBytes());
            region.acquire(4 * CHUNK);
            assertEquals(4 * CHUNK, kernel.prefaulted("writing@" + builder),
                    "a caller's commit (the two chunks past the ready ones) is pre-faulted on the caller, as before");
        }
    }

    @Test
    void aZeroDecayTurnsCommitAheadOff() {
        try (Region region = ahead(CHUNK).decay(Duration.ZERO).build()) {
            assertEquals(0, region.commitAheadBytes());
            assertEquals(0, region.committedBytes());
        }
    }

    @Test
    void aReadyChunkIsLentAsZeroedAndAReusedOneIsNot() throws InterruptedException {
        try (Region region = ahead(CHUNK).build()) {
            Span ready = region.acquire(CHUNK);
            assertEquals(0, region.commitsOnCaller(), "it was the ready chunk");
            assertTrue(ready.zeroed(), "committed ahead and never lent: the kernel's zeros");
            assertEquals(0L, ready.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, CHUNK - 8));
            ready.segment().fill((byte) 7);
            region.release(ready);
            Span reused = region.acquire(CHUNK);
            assertEquals(ready.address(), reused.address(), "the released chunk, with its scope, comes first");
            assertTrue(!reused.zeroed(), "control: a chunk lent before is not known to be zero");
        }
    }
}
