package dev.offheap.bench;

import dev.offheap.allocator.slab.SlabAllocator;

/**
 * Issue 12's metadata figures for the slab: for each block size, fills a slab with {@code liveMiB}
 * of live blocks and prints the Java heap it grew by (measured: used heap after full GCs, the
 * handle array excluded) and the off-heap metadata ({@link SlabAllocator#footprint()}), each
 * divided by the live bytes. Arguments: live MiB per size (default 256).
 */
public final class SlabFootprintMain {
    private SlabFootprintMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        long liveBytes = (args.length > 0 ? Long.parseLong(args[0]) : 256) << 20;
        for (int size : new int[] {16, 64, 256, 1024, 16384}) {
            int blocks = (int) (liveBytes / size);
            long[] handles = new long[blocks];
            try (SlabAllocator slab = SlabAllocator.builder().name("footprint-" + size).reserve(4L << 30)
                    .zeroing(false).leakListener(r -> { }).build()) {
                slab.free(slab.allocate(size)); // the thread's cache exists before the baseline
                long before = usedHeap();
                for (int i = 0; i < blocks; i++) {
                    handles[i] = slab.allocate(size);
                }
                long heap = usedHeap() - before;
                SlabAllocator.Footprint f = slab.footprint();
                System.out.printf("%6d B blocks, %d MiB live: heap +%d B (%.3f %% of live; estimate %d B), "
                                + "off-heap metadata %d B (%.2f %%), all metadata %.2f %%, committed %d MiB%n",
                        size, liveBytes >> 20, heap, 100.0 * heap / liveBytes, f.heapBytes(), f.offHeapBytes(),
                        100.0 * f.offHeapBytes() / liveBytes, 100.0 * (Math.max(heap, 0) + f.offHeapBytes()) / liveBytes,
                        slab.snapshot().committedBytes() >> 20);
                for (int i = 0; i < blocks; i++) {
                    slab.free(handles[i]);
                }
            }
        }
    }

    private static long usedHeap() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
