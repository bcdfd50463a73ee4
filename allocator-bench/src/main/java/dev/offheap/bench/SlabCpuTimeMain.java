package dev.offheap.bench;

import dev.offheap.allocator.slab.SlabAllocator;
import dev.offheap.bench.peers.MallocBlocks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * A companion to {@link SlabFastPathBenchmark} for loaded machines: the same 64 B allocate + free
 * loops (slab, slab without zeroing, malloc/free through FFM), timed in this thread's CPU time
 * ({@link ThreadMXBean#getCurrentThreadCpuTime()}) instead of wall time, so time the thread spends
 * descheduled by other load does not count; then 256 blocks allocated and freed in a shuffled order
 * (zeroing on: the refill that zeroes them finds few neighbours). Prints the best of ten rounds of
 * 20 million operations each, and the ratios to malloc. Uses only the API every version of the slab has, so it runs
 * against an older build on the class path too (to compare before and after).
 */
public final class SlabCpuTimeMain {
    private static final int OPS = 20_000_000;
    private static final int ROUNDS = 10;
    /** Blocks of the shuffled batch loops: live at once, freed in a fixed shuffled order. */
    private static final int BATCH = 256;

    private SlabCpuTimeMain() {
    }

    public static void main(String[] args) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        SlabAllocator zeroing = SlabAllocator.builder().name("cpu-zeroing").reserve(1L << 32).build();
        SlabAllocator raw = SlabAllocator.builder().name("cpu-raw").reserve(1L << 32).zeroing(false).build();
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        long[] batch = new long[BATCH];
        int[] order = BatchFreeBenchmark.permutation(BATCH, 0x5EED_0002L);
        long sink = 0;
        for (int round = 0; round < ROUNDS; round++) {
            long t0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < OPS; i++) {
                long address = MallocBlocks.malloc(64);
                MallocBlocks.freeAddress(address);
                sink += address;
            }
            long t1 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < OPS; i++) {
                long h = zeroing.allocate(64);
                zeroing.free(h);
                sink += h;
            }
            long t2 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < OPS; i++) {
                long h = raw.allocate(64);
                raw.free(h);
                sink += h;
            }
            long t3 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < OPS / BATCH; i++) {
                for (int j = 0; j < BATCH; j++) {
                    batch[j] = MallocBlocks.malloc(64);
                }
                for (int j = 0; j < BATCH; j++) {
                    MallocBlocks.freeAddress(batch[order[j]]);
                }
                sink += batch[0];
            }
            long t4 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < OPS / BATCH; i++) {
                for (int j = 0; j < BATCH; j++) {
                    batch[j] = zeroing.allocate(64);
                }
                for (int j = 0; j < BATCH; j++) {
                    zeroing.free(batch[order[j]]);
                }
                sink += batch[0];
            }
            long t5 = mx.getCurrentThreadCpuTime();
            best[3] = Math.min(best[3], (t4 - t3) / (double) (OPS / BATCH * BATCH));
            best[4] = Math.min(best[4], (t5 - t4) / (double) (OPS / BATCH * BATCH));
            best[0] = Math.min(best[0], (t1 - t0) / (double) OPS);
            best[1] = Math.min(best[1], (t2 - t1) / (double) OPS);
            best[2] = Math.min(best[2], (t3 - t2) / (double) OPS);
        }
        System.out.printf("malloc+free %.1f ns, slab allocate+free %.1f ns (%.2fx malloc), slab without zeroing %.1f ns (%.2fx)%s%n",
                best[0], best[1], best[1] / best[0], best[2], best[2] / best[0], sink == 42 ? "!" : "");
        System.out.printf("%d blocks allocated, then freed shuffled: malloc+free %.1f ns, slab (zeroing) %.1f ns (%.2fx malloc)%n",
                BATCH, best[3], best[4], best[4] / best[3]);
        zeroing.close();
        raw.close();
    }
}
