package dev.offheap.bench.harness;

import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.bench.library.LibraryHooks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Issue 12's footprint targets: the Java heap the allocator holds per live off-heap byte, with
 * {@code --live-mib} (1 GiB by default; a quarter of it for 16 B blocks) live in blocks of one size,
 * for 16 B, 64 B, 1 KiB, 16 KiB and 256 KiB, each size in a JVM of its own, on the library's defaults.
 * <p>Method: the {@code long[]} that will hold the handles is allocated first; used heap after GC
 * (collected until it stops shrinking) is read; the allocator is built and filled; used heap after
 * GC is read again. The difference is the heap the allocator holds (the handle array is in both
 * readings). Beside it: the allocator's own metadata figures where the build exposes them
 * ({@link LibraryHooks#heapMetadataBytes}, {@link LibraryHooks#offHeapMetadataBytes}; -1 if not),
 * committed bytes ÷ live and the process's added resident memory ÷ live. Targets: heap ÷ live
 * ≤ 1 % for every size; all metadata ÷ live ≤ 2 % for blocks ≥ 256 B, ≤ 12.5 % for 16 B.
 *
 * <p>Usage: {@code FootprintMain [--out DIR] [--live-mib 1024] [--sizes 16,64,1024,16384,262144]};
 * writes {@code harness-footprint.json}. Single-threaded.
 */
public final class FootprintMain {
    /** The block sizes of issue 12's table. */
    public static final List<Long> SIZES = List.of(16L, 64L, 1024L, 16384L, 262144L);

    private FootprintMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Harnesses.options(args, "out", "live-mib", "size", "sizes");
        long liveMib = Long.parseLong(o.getOrDefault("live-mib", "1024"));
        if (o.containsKey("size")) {
            ChildJvm.emit(measure(Long.parseLong(o.get("size")), liveMib));
            return;
        }
        List<Long> sizes = o.containsKey("sizes")
                ? java.util.Arrays.stream(o.get("sizes").split(",")).map(Long::parseLong).toList() : SIZES;
        HarnessReport report = HarnessReport.of("footprint", "blocks of one size up to " + liveMib
                + " MiB live (" + liveMib / 4 + " MiB for 16 B), library defaults, one JVM per size; heap = used heap "
                + "after GC with the allocator filled minus before it was built");
        for (long size : sizes) {
            long heapMib = 2 * liveMib + 512; // room for a heap-hungry layout (today's TLSF: 1 B of heap per byte)
            report.addChild(Harnesses.LIBRARY + " " + size + " B", ChildJvm.run(FootprintMain.class,
                    List.of("-Xms256m", "-Xmx" + heapMib + "m"),
                    List.of("--size", Long.toString(size), "--live-mib", Long.toString(liveMib)), 900));
        }
        System.out.println("wrote " + report.write(Harnesses.out(o)));
    }

    private static HarnessReport measure(long size, long liveMib) throws Exception {
        HarnessReport r = HarnessReport.of("footprint", null);
        String peer = Harnesses.LIBRARY;
        String at = "size." + size + ".";
        long liveTarget = (size <= 16 ? liveMib / 4 : liveMib) << 20;
        int count = Math.toIntExact(liveTarget / size);
        long[] handles = new long[count];
        long heapBefore = Harnesses.usedHeapAfterGc();
        long rssBefore = residentBytes();
        try (OffHeap memory = OffHeap.builder().name("footprint").build()) {
            for (int i = 0; i < count; i++) {
                handles[i] = memory.allocate(size);
            }
            long heapAfter = Harnesses.usedHeapAfterGc();
            long rssAfter = residentBytes();
            long live = (long) count * size;
            long heap = heapAfter - heapBefore;
            r.add(peer, at + "live.bytes", live, "bytes");
            r.add(peer, at + "heap.bytes", heap, "bytes");
            r.add(peer, at + "heap/live", (double) heap / live, "ratio");
            long heapMeta = LibraryHooks.heapMetadataBytes(memory);
            long offMeta = LibraryHooks.offHeapMetadataBytes(memory);
            r.add(peer, at + "metadata.heap.bytes", heapMeta, "bytes");
            r.add(peer, at + "metadata.offheap.bytes", offMeta, "bytes");
            if (offMeta >= 0) {
                // Off-heap metadata by the library's account, heap by measurement.
                r.add(peer, at + "metadata/live", (double) (Math.max(heap, 0) + offMeta) / live, "ratio");
            }
            r.add(peer, at + "committed/live", (double) LibraryHooks.committedBytes(memory) / live, "ratio");
            r.add(peer, at + "resident.added/live", (double) (rssAfter - rssBefore) / live, "ratio");
            for (int i = 0; i < count; i++) {
                memory.free(handles[i]);
            }
        }
        return r;
    }

    /** Reads {@code VmRSS} from {@code /proc/self/status}, bytes; -1 where there is none. */
    static long residentBytes() throws java.io.IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring("VmRSS:".length()).trim().split("\\s+")[0]) * 1024;
            }
        }
        return -1;
    }
}
