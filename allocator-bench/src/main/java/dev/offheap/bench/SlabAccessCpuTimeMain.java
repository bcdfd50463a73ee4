package dev.offheap.bench;

import dev.offheap.allocator.slab.SlabAllocator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * What the validated access path costs over a raw access, in this thread's CPU time (for loaded
 * machines, see {@link SlabCpuTimeMain}): two byte writes (first and last) and a long read of each
 * of 1 024 live 64 B blocks in turn (so no check can be hoisted out of the loop), through a raw
 * segment made once from each block's address, through {@code segment(handle)}, and through
 * {@code putByte}/{@code getLong}. Best of ten rounds of 20 million operations each.
 */
public final class SlabAccessCpuTimeMain {
    private static final int OPS = 20_000_000;
    /** Blocks the loops cycle through, so no check can be hoisted out of the loop. */
    private static final int BLOCKS = 1024;

    private SlabAccessCpuTimeMain() {
    }

    public static void main(String[] args) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (SlabAllocator slab = SlabAllocator.builder().name("cpu-access").reserve(1L << 30).build()) {
            long[] handles = new long[BLOCKS];
            MemorySegment[] raws = new MemorySegment[BLOCKS];
            for (int b = 0; b < BLOCKS; b++) {
                handles[b] = slab.allocate(64);
                raws[b] = MemorySegment.ofAddress(slab.address(handles[b])).reinterpret(64);
            }
            double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
            long sink = 0;
            for (int round = 0; round < 10; round++) {
                long t0 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < OPS; i++) {
                    MemorySegment raw = raws[i & (BLOCKS - 1)];
                    raw.set(ValueLayout.JAVA_BYTE, 0, (byte) i);
                    raw.set(ValueLayout.JAVA_BYTE, 63, (byte) i);
                    sink += raw.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
                }
                long t1 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < OPS; i++) {
                    MemorySegment s = slab.segment(handles[i & (BLOCKS - 1)]);
                    s.set(ValueLayout.JAVA_BYTE, 0, (byte) i);
                    s.set(ValueLayout.JAVA_BYTE, 63, (byte) i);
                    sink += s.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
                }
                long t2 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < OPS; i++) {
                    long h = handles[i & (BLOCKS - 1)];
                    slab.putByte(h, 0, (byte) i);
                    slab.putByte(h, 63, (byte) i);
                    sink += slab.getLong(h, 8);
                }
                long t3 = mx.getCurrentThreadCpuTime();
                best[0] = Math.min(best[0], (t1 - t0) / (double) OPS);
                best[1] = Math.min(best[1], (t2 - t1) / (double) OPS);
                best[2] = Math.min(best[2], (t3 - t2) / (double) OPS);
            }
            System.out.printf("3 accesses: raw segment %.1f ns, segment(handle) %.1f ns, validated path %.1f ns "
                    + "(%.1f ns an access over raw)%s%n", best[0], best[1], best[2], (best[2] - best[0]) / 3,
                    sink == 42 ? "!" : "");
            for (long h : handles) {
                slab.free(h);
            }
        }
    }
}
