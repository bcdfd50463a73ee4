package dev.offheap.bench.harness;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.bench.library.LibraryHooks;
import dev.offheap.bench.peers.LongBlocks;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 11's virtual-thread targets, each peer in a JVM of its own.
 * <ul>
 *   <li><b>tasks</b>: {@value #TASKS} short tasks, each allocating 64 B, writing its first and
 *       last byte (the library through {@code LibraryHooks.writeFirstLast}) and freeing it, run
 *       once with one virtual thread per task and once on a pool of {@value #PLATFORM_THREADS}
 *       platform threads; rounds alternate the two, the first {@code --warmup} rounds are not
 *       counted, the figure is the median of {@code --rounds}. Target: virtual ≤ 3× platform.</li>
 *   <li><b>live</b> (library only): {@value #LIVE_THREADS} virtual threads each allocate one 64 B
 *       block and hold it until all have tried, under a {@value #LIVE_LIMIT_MIB} MiB limit; the
 *       figures are the committed bytes then (snapshot) and the allocations refused. Target:
 *       committed ≤ 16 MiB, no refusal.</li>
 * </ul>
 * Usage: {@code VirtualThreadsMain [--out DIR] [--warmup 1] [--rounds 1]}; writes
 * {@code harness-virtual-threads.json}. Single-threaded parent; the child runs the pools.
 */
public final class VirtualThreadsMain {
    /** Tasks per round. */
    public static final int TASKS = 100_000;
    /** Threads of the platform pool the virtual threads are weighed against. */
    public static final int PLATFORM_THREADS = 4;
    /** Virtual threads holding a block at once in the live scenario. */
    public static final int LIVE_THREADS = 10_000;
    /** The limit on committed bytes in the live scenario, MiB. */
    public static final long LIVE_LIMIT_MIB = 256;
    private static final long BLOCK_BYTES = 64;

    private VirtualThreadsMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Harnesses.options(args, "out", "warmup", "rounds", "peer", "scenario");
        int warmup = Integer.parseInt(o.getOrDefault("warmup", "1"));
        int rounds = Integer.parseInt(o.getOrDefault("rounds", "1"));
        if (o.containsKey("peer")) {
            HarnessReport r = HarnessReport.of("virtual-threads", null);
            if (o.get("scenario").equals("live")) {
                live(r);
            } else {
                tasks(o.get("peer"), warmup, rounds, r);
            }
            ChildJvm.emit(r);
            return;
        }
        HarnessReport report = HarnessReport.of("virtual-threads", TASKS + " tasks of 64 B alloc+write+free, "
                + "virtual thread per task vs " + PLATFORM_THREADS + " platform threads, median of " + rounds
                + " round(s) after " + warmup + " warm-up round(s); live: " + LIVE_THREADS
                + " virtual threads holding 64 B each under a " + LIVE_LIMIT_MIB + " MiB limit");
        List<String> childArgs = List.of("--warmup", Integer.toString(warmup), "--rounds", Integer.toString(rounds));
        for (String peer : List.of(Harnesses.LIBRARY, "malloc")) {
            List<String> a = new ArrayList<>(childArgs);
            a.addAll(List.of("--peer", peer, "--scenario", "tasks"));
            report.addChild(peer, ChildJvm.run(VirtualThreadsMain.class, List.of("-Xms512m", "-Xmx512m"), a, 1800));
        }
        report.addChild(Harnesses.LIBRARY + " live", ChildJvm.run(VirtualThreadsMain.class,
                List.of("-Xms512m", "-Xmx512m"), List.of("--peer", Harnesses.LIBRARY, "--scenario", "live"), 600));
        System.out.println("wrote " + report.write(Harnesses.out(o)));
    }

    private static void tasks(String peer, int warmup, int rounds, HarnessReport r) throws Exception {
        List<Double> virtual = new ArrayList<>();
        List<Double> platform = new ArrayList<>();
        AtomicLong failures = new AtomicLong();
        try (LongBlocks blocks = Harnesses.openLongPeer(peer)) {
            Runnable task = () -> {
                try {
                    blocks.free(blocks.allocate(BLOCK_BYTES));
                } catch (RuntimeException | OutOfMemoryError e) {
                    failures.incrementAndGet();
                }
            };
            for (int round = 0; round < warmup + rounds; round++) {
                double v = runAll(Executors.newVirtualThreadPerTaskExecutor(), task);
                double p = runAll(Executors.newFixedThreadPool(PLATFORM_THREADS), task);
                System.out.printf("round %d: virtual %.1f ms, platform %.1f ms%n", round, v, p);
                if (round >= warmup) {
                    virtual.add(v);
                    platform.add(p);
                }
            }
        }
        r.add(peer, "tasks.virtual.ms", Harnesses.median(virtual), "ms");
        r.add(peer, "tasks.platform.ms", Harnesses.median(platform), "ms");
        r.add(peer, "tasks.virtual/platform", Harnesses.median(virtual) / Harnesses.median(platform), "ratio");
        r.add(peer, "tasks.failures", failures.get(), "count");
    }

    /** Submits {@value #TASKS} tasks, waits for all; returns the wall time in ms. */
    private static double runAll(ExecutorService executor, Runnable task) throws InterruptedException {
        long start = System.nanoTime();
        try (executor) {
            for (int i = 0; i < TASKS; i++) {
                executor.execute(task);
            }
            executor.shutdown();
            if (!executor.awaitTermination(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("tasks did not finish: minutes=10");
            }
        }
        return (System.nanoTime() - start) / 1e6;
    }

    private static void live(HarnessReport r) throws InterruptedException {
        String peer = Harnesses.LIBRARY;
        AtomicLong refused = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        CountDownLatch holding = new CountDownLatch(LIVE_THREADS);
        CountDownLatch release = new CountDownLatch(1);
        try (OffHeap memory = OffHeap.builder().name("vthreads-live").zeroing(false)
                .limit(LIVE_LIMIT_MIB << 20).build()) {
            long committedBefore = LibraryHooks.committedBytes(memory);
            List<Thread> threads = new ArrayList<>(LIVE_THREADS);
            for (int i = 0; i < LIVE_THREADS; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    long handle = 0;
                    try {
                        handle = memory.allocate(BLOCK_BYTES);
                        LibraryHooks.writeFirstLast(memory, handle, BLOCK_BYTES);
                    } catch (OutOfOffHeapMemoryException e) {
                        refused.incrementAndGet();
                    } catch (RuntimeException e) {
                        failed.incrementAndGet();
                    }
                    holding.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    if (handle != 0) {
                        memory.free(handle);
                    }
                }));
            }
            holding.await();
            var snapshot = memory.snapshot();
            r.add(peer, "live.threads", LIVE_THREADS, "count");
            r.add(peer, "live.committed.bytes", LibraryHooks.committedBytes(memory) - committedBefore, "bytes");
            r.add(peer, "live.used.bytes", snapshot.usedBytes(), "bytes");
            r.add(peer, "live.live.blocks", snapshot.liveBlocks(), "count");
            r.add(peer, "live.refusals", refused.get(), "count");
            r.add(peer, "live.other.failures", failed.get(), "count");
            release.countDown();
            for (Thread t : threads) {
                t.join();
            }
        }
    }
}
