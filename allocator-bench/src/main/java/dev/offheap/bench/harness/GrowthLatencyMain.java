package dev.offheap.bench.harness;

import dev.offheap.bench.SizeTable;
import dev.offheap.bench.library.HandleBlocks;
import dev.offheap.bench.library.LibraryHooks;
import dev.offheap.bench.peers.LongBlocks;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Issue 11's growth target: the latency of one allocation (allocate, write its first and last
 * byte, as every peer does) while the live set grows from nothing to {@code --grow-mib} (1 GiB by
 * default), against the same operation in steady state at that size. Each peer runs in a JVM of
 * its own:
 * <ol>
 *   <li>warm-up: {@value #WARMUP_OPS} alloc/free cycles over {@value #WARMUP_LIVE} live blocks,
 *       so the measured phases run compiled code, not the interpreter;</li>
 *   <li>growth: allocate blocks of random sizes (16 B to 16 KiB, log-uniform, fixed seed) and keep
 *       them all until the live bytes reach the target, timing each allocation;</li>
 *   <li>steady: free a random live block and allocate a new one in its place, as many times as
 *       there are live blocks, timing each allocation.</li>
 * </ol>
 * Latencies go into HdrHistograms ({@link Latencies}); the figures are p50 / p99 / p99.9 / max of
 * each phase and the curves for the report's percentile plot. Target: growth p99.9 ≤ 5× steady
 * p99.9, and commits on the caller's thread ≈ 0 ({@link LibraryHooks#commitsOnCaller}; -1 while the
 * build has no such counter). {@code System.nanoTime} per operation adds its own ~20 ns to every
 * sample, the same for every peer.
 *
 * <p>Usage: {@code GrowthLatencyMain [--out DIR] [--grow-mib 1024]}; writes {@code harness-growth.json}.
 * Single-threaded.
 */
public final class GrowthLatencyMain {
    static final int WARMUP_OPS = 300_000;
    static final int WARMUP_LIVE = 1_000;
    static final long MIN_BYTES = 16;
    static final long MAX_BYTES = 16 << 10;
    static final long SEED = 0x5EED_0011L;

    private GrowthLatencyMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Harnesses.options(args, "out", "grow-mib", "peer");
        long growMib = Long.parseLong(o.getOrDefault("grow-mib", "1024"));
        if (o.containsKey("peer")) {
            ChildJvm.emit(measure(o.get("peer"), growMib << 20));
            return;
        }
        HarnessReport report = HarnessReport.of("growth", "allocate + write first/last byte of random sizes "
                + MIN_BYTES + " B-" + (MAX_BYTES >> 10) + " KiB (seed " + Long.toHexString(SEED) + ") while the live set "
                + "grows to " + growMib + " MiB, then free+allocate in steady state at that size; one JVM per peer, "
                + "after " + WARMUP_OPS + " warm-up operations");
        for (String peer : List.of(Harnesses.LIBRARY, "malloc", "jemalloc")) {
            report.addChild(peer, ChildJvm.run(GrowthLatencyMain.class, List.of("-Xms1g", "-Xmx1g"),
                    List.of("--peer", peer, "--grow-mib", Long.toString(growMib)), 900));
        }
        System.out.println("wrote " + report.write(Harnesses.out(o)));
    }

    private static HarnessReport measure(String peer, long growBytes) {
        HarnessReport r = HarnessReport.of("growth", null);
        SizeTable sizes = new SizeTable(MIN_BYTES, MAX_BYTES, SEED);
        // The table repeats every SizeTable.LENGTH sizes, so any LENGTH consecutive sizes sum to
        // LENGTH × mean: this many slots always hold the growth phase.
        int capacity = Math.toIntExact((long) Math.ceil(growBytes / sizes.meanBytes()) + 2L * SizeTable.LENGTH);
        try (LongBlocks blocks = Harnesses.openLongPeer(peer)) {
            // Warm-up: a small live set churned, so both phases below run C2 code.
            long[] ring = new long[WARMUP_LIVE];
            for (int i = 0; i < WARMUP_OPS; i++) {
                int k = i % WARMUP_LIVE;
                if (ring[k] != 0) {
                    blocks.free(ring[k]);
                }
                ring[k] = blocks.allocate(sizes.next());
            }
            for (long b : ring) {
                blocks.free(b);
            }
            long callerCommitsBefore = commitsOnCaller(blocks);

            Latencies growth = new Latencies();
            long[] live = new long[capacity];
            long[] liveSizes = new long[capacity];
            int n = 0;
            long liveBytes = 0;
            while (liveBytes < growBytes && n < capacity) {
                long size = sizes.next();
                long start = System.nanoTime();
                long block = blocks.allocate(size);
                growth.record(System.nanoTime() - start);
                live[n] = block;
                liveSizes[n++] = size;
                liveBytes += size;
            }
            long callerCommitsGrowth = commitsOnCaller(blocks);

            Latencies steady = new Latencies();
            SplittableRandom random = new SplittableRandom(SEED);
            for (int i = 0; i < n; i++) {
                int slot = random.nextInt(n);
                blocks.free(live[slot]);
                long size = sizes.next();
                long start = System.nanoTime();
                long block = blocks.allocate(size);
                steady.record(System.nanoTime() - start);
                live[slot] = block;
                liveBytes += size - liveSizes[slot];
                liveSizes[slot] = size;
            }
            for (int i = 0; i < n; i++) {
                blocks.free(live[i]);
            }
            growth.addTo(r, peer, "growth");
            steady.addTo(r, peer, "steady");
            r.add(peer, "growth.p99.9/steady.p99.9", growth.percentile(99.9) / steady.percentile(99.9), "ratio");
            r.add(peer, "growth.over.1ms", growth.countAbove(1_000_000), "count");
            r.add(peer, "live.bytes", liveBytes, "bytes");
            if (callerCommitsBefore >= 0) {
                r.add(peer, "growth.commits.on.caller", callerCommitsGrowth - callerCommitsBefore, "count");
            } else if (blocks instanceof HandleBlocks) {
                r.add(peer, "growth.commits.on.caller", LibraryHooks.NOT_AVAILABLE, "count");
            }
        }
        return r;
    }

    private static long commitsOnCaller(LongBlocks blocks) {
        return blocks instanceof HandleBlocks h ? LibraryHooks.commitsOnCaller(h.allocator()) : LibraryHooks.NOT_AVAILABLE;
    }
}
