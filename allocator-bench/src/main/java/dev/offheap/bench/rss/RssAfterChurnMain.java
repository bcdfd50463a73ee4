package dev.offheap.bench.rss;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.region.Region;
import dev.offheap.bench.SizeTable;
import dev.offheap.bench.library.HandleBlocks;
import dev.offheap.bench.library.LibraryAllocators;
import dev.offheap.bench.peers.ArenaPerBlock;
import dev.offheap.bench.peers.DirectByteBufferBlocks;
import dev.offheap.bench.peers.HeapBlocks;
import dev.offheap.bench.peers.JemallocBlocks;
import dev.offheap.bench.peers.LongBlocks;
import dev.offheap.bench.peers.MallocBlocks;
import dev.offheap.bench.peers.NettyBlocks;
import dev.offheap.bench.peers.ObjectBlocks;
import dev.offheap.bench.peers.UnsafeBlocks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The fragmentation scenario (issue 12): resident memory of the whole process per live byte after
 * churn, for this library on its defaults (decay included: nothing is tuned for the scenario) and
 * each peer, each in a JVM of its own (so one allocator's retained memory does not count against
 * another). In each child: note the process's RSS ({@code VmRSS} of {@code /proc/self/status});
 * fill a live set of random sizes (16 B – 16 KiB, log-uniform, fixed seed) up to
 * {@code --live-mib}; churn it (free a random block, allocate a new one) four times over; free nine
 * blocks in ten, in random order; note RSS; idle {@code --idle-ms} (default: the library's default
 * decay plus {@value #IDLE_MARGIN_MS} ms, so the decay shows; the GC runs once for the peers freed
 * by it); note RSS; then ask the peer to give memory back where it has a call for that
 * ({@code trim()}, glibc's {@code malloc_trim(0)}, a jemalloc purge of every arena, Netty's
 * {@code trimCurrentThreadCache()}), wait {@value #AFTER_TRIM_MS} ms, note RSS again. The figures
 * are resident bytes the run added (RSS minus RSS before the fill) ÷ live bytes, after idle and
 * after trim. Prints a table and writes the rows as JSON for the report. Each child also samples
 * its RSS every {@value RssSampler#PERIOD_MS} ms through the phases (fill, churn, free-most, idle,
 * trim); the series go to {@value #TIMELINE_FILE} beside the rows, for the report's
 * resident-memory-over-time chart.
 *
 * <p>Usage: {@code RssAfterChurnMain [--out docs/bench/rss.json] [--live-mib 512] [--idle-ms MS]
 * [--peers a,b,...]}; {@code --peer NAME} runs one child's measurement and prints one JSON row.
 * Single-threaded.
 */
public final class RssAfterChurnMain {
    /** The file the series of every child go to, in the directory of {@code --out}. */
    public static final String TIMELINE_FILE = "rss-timeline.json";

    /** The child's sampler; null in the parent. */
    private static RssSampler sampler;
    /** The child's series, taken when idle ends (before the kept blocks are freed and the allocator closed). */
    private static RssTimeline timeline;

    private static final String LIBRARY = "library:" + LibraryAllocators.NAMES.get(0);
    /** Smallest block of the scenario, bytes. */
    static final long MIN_BYTES = 16;
    /** Largest block of the scenario, bytes (issue 12's churn: 16 B to 16 KiB). */
    static final long MAX_BYTES = 16 << 10;
    /** Idle beyond the library's default decay, so the decay's effect is in the figure. */
    static final long IDLE_MARGIN_MS = 5_000;
    /** Wait after the trim call before the last reading. */
    static final long AFTER_TRIM_MS = 1_000;
    /** The peers of issue 12's table, run when {@code --peers} is not given in quick mode. */
    public static final List<String> MAIN_PEERS = List.of(LIBRARY, "control", "malloc", "jemalloc", "nettyPooled");

    /**
     * One measurement; bytes throughout.
     *
     * @param rssAfterTrim resident bytes after the trim call; 0 in rows written before it was measured
     * @param trimmed      whether the peer has a trim call (false: the trim reading is a second idle one)
     * @param pinnedBytes  the OS pages the kept blocks overlap, in bytes: what an allocator that does not
     *                     move blocks keeps resident at least once every byte of them has been written;
     *                     0 where the peer's blocks have no address (objects) or in rows written before
     */
    public record Row(String peer, long liveBytes, long rssBefore, long rssAfterChurn, long rssAfterIdle,
                      long rssAfterTrim, boolean trimmed, String error, long pinnedBytes) {
        /** {@return resident bytes the allocation added, after idle, per live byte} */
        public double addedPerLiveByte() {
            return (double) (rssAfterIdle - rssBefore) / liveBytes;
        }

        /** {@return resident bytes the allocation added, after the trim call, per live byte; NaN if not measured} */
        public double addedAfterTrimPerLiveByte() {
            return rssAfterTrim == 0 ? Double.NaN : (double) (rssAfterTrim - rssBefore) / liveBytes;
        }

        /** {@return the OS pages the kept blocks overlap per live byte; NaN if not measured} */
        public double pinnedPerLiveByte() {
            return pinnedBytes == 0 ? Double.NaN : (double) pinnedBytes / liveBytes;
        }
    }

    private RssAfterChurnMain() {
    }

    /** The peers measured: every one that can free a single block. */
    static List<String> peers() {
        List<String> peers = new ArrayList<>();
        for (String name : LibraryAllocators.NAMES) {
            peers.add("library:" + name);
        }
        peers.addAll(List.of("control", "malloc", "jemalloc", "unsafe", "arenaPerBlock", "directByteBuffer", "nettyPooled",
                "nettyAdaptive", "heap"));
        return peers;
    }

    public static void main(String[] args) throws Exception {
        String out = "docs/bench/rss.json";
        String peer = null;
        long liveMib = 512;
        long idleMs = Region.DEFAULT_DECAY.toMillis() + IDLE_MARGIN_MS;
        List<String> peers = peers();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = args[++i];
                case "--peer" -> peer = args[++i];
                case "--live-mib" -> liveMib = Long.parseLong(args[++i]);
                case "--idle-ms" -> idleMs = Long.parseLong(args[++i]);
                case "--peers" -> peers = List.of(args[++i].split(","));
                default -> throw new IllegalArgumentException("unknown argument: arg=" + args[i]);
            }
        }
        Gson gson = new GsonBuilder().setPrettyPrinting().create();
        if (peer != null) {
            sampler = new RssSampler();
            Row row = measure(peer, liveMib << 20, idleMs);
            System.out.println("ROW " + new Gson().toJson(row));
            if (row.error() == null && timeline != null) {
                System.out.println("TIMELINE " + new Gson().toJson(timeline.named(peer)));
            }
            return;
        }
        List<Row> rows = new ArrayList<>();
        List<RssTimeline> timelines = new ArrayList<>();
        for (String name : peers) {
            rows.add(runChild(name, liveMib, idleMs, timelines));
        }
        System.out.printf("%-20s %10s %10s %12s %11s %11s %10s %10s %11s%n", "peer", "live MiB", "RSS before",
                "after churn", "after idle", "after trim", "idle/live", "trim/live", "pinned/live");
        for (Row r : rows) {
            if (r.error() != null) {
                System.out.printf("%-20s unavailable: %s%n", r.peer(), r.error());
            } else {
                System.out.printf("%-20s %10.1f %10.1f %12.1f %11.1f %11.1f %10.2f %10.2f %11.2f%n", r.peer(),
                        mib(r.liveBytes()), mib(r.rssBefore()), mib(r.rssAfterChurn()), mib(r.rssAfterIdle()),
                        mib(r.rssAfterTrim()), r.addedPerLiveByte(), r.addedAfterTrimPerLiveByte(), r.pinnedPerLiveByte());
            }
        }
        Path path = Path.of(out);
        if (path.getParent() != null) {
            Files.createDirectories(path.getParent());
        }
        Files.writeString(path, gson.toJson(rows));
        System.out.println("wrote " + path.toAbsolutePath());
        Path timelinePath = path.resolveSibling(TIMELINE_FILE);
        Files.writeString(timelinePath, gson.toJson(timelines));
        System.out.println("wrote " + timelinePath.toAbsolutePath());
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }

    /** Runs one peer's measurement in a fresh JVM with the benchmarks' flags; adds its series to {@code timelines}. */
    private static Row runChild(String peer, long liveMib, long idleMs, List<RssTimeline> timelines)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        // The heap peer holds the live set on the heap: room for it twice over, as a service would give.
        String heap = "-Xmx" + Math.max(512, 2 * liveMib + 256) + "m";
        List<String> command = List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xms512m", heap,
                "-Dio.netty.leakDetection.level=disabled", "-cp", System.getProperty("java.class.path"),
                RssAfterChurnMain.class.getName(), "--peer", peer, "--live-mib", Long.toString(liveMib),
                "--idle-ms", Long.toString(idleMs));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Row row = null;
        StringBuilder log = new StringBuilder();
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith("ROW ")) {
                    row = new Gson().fromJson(line.substring(4), Row.class);
                } else if (line.startsWith("TIMELINE ")) {
                    timelines.add(new Gson().fromJson(line.substring("TIMELINE ".length()), RssTimeline.class));
                } else {
                    log.append(line).append('\n');
                }
            }
        }
        int exit = process.waitFor();
        if (row == null) {
            String why = log.toString().lines().filter(l -> !l.startsWith("WARNING")).findFirst().orElse("exit " + exit);
            return new Row(peer, 0, 0, 0, 0, 0, false, why, 0);
        }
        return row;
    }

    /** Reads {@code VmRSS} from {@code /proc/self/status}, in bytes. */
    static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                String kib = line.substring("VmRSS:".length()).trim().split("\\s+")[0];
                return Long.parseLong(kib) * 1024;
            }
        }
        throw new IOException("no VmRSS line in /proc/self/status");
    }

    private static Row measure(String peer, long liveTarget, long idleMs) throws Exception {
        try {
            if (peer.equals(LIBRARY)) {
                // The library's defaults, every one of them (decay, zeroing, leak detection): a
                // service that sets nothing sees what this row shows.
                try (HandleBlocks blocks = new HandleBlocks(OffHeap.builder().name("bench-rss").build())) {
                    return churnLongs(peer, blocks, liveTarget, idleMs);
                }
            }
            return switch (peer) {
                case "control" -> churnLongs(peer, new NoMemory(), liveTarget, idleMs);
                case "malloc" -> churnLongs(peer, new MallocBlocks(), liveTarget, idleMs);
                case "jemalloc" -> churnLongs(peer, new JemallocBlocks(), liveTarget, idleMs);
                case "unsafe" -> churnLongs(peer, new UnsafeBlocks(), liveTarget, idleMs);
                case "arenaPerBlock" -> churnObjects(peer, ArenaPerBlock.confined(), liveTarget, idleMs);
                case "directByteBuffer" -> churnObjects(peer, new DirectByteBufferBlocks(), liveTarget, idleMs);
                case "nettyPooled" -> churnObjects(peer, NettyBlocks.pooled(), liveTarget, idleMs);
                case "nettyAdaptive" -> churnObjects(peer, NettyBlocks.adaptive(), liveTarget, idleMs);
                case "heap" -> churnObjects(peer, new HeapBlocks(), liveTarget, idleMs);
                default -> throw new IllegalArgumentException("unknown peer: peer=" + peer);
            };
        } catch (RuntimeException | LinkageError e) {
            return new Row(peer, 0, 0, 0, 0, 0, false, e.toString(), 0);
        }
    }

    private static Row churnLongs(String peer, LongBlocks blocks, long liveTarget, long idleMs) throws Exception {
        SizeTable sizes = new SizeTable(MIN_BYTES, MAX_BYTES, 0x5EED_0005L);
        SplittableRandom random = new SplittableRandom(0x5EED_0006L);
        blocks.free(blocks.allocate(64)); // load the peer before the first reading
        long rssBefore = residentBytes();
        phase("fill");
        List<long[]> live = new ArrayList<>(); // {block, size}
        long liveBytes = 0;
        while (liveBytes < liveTarget) {
            long size = sizes.next();
            live.add(new long[] {blocks.allocate(size), size});
            liveBytes += size;
        }
        phase("churn");
        for (int i = 0, n = live.size() * 4; i < n; i++) {
            int slot = random.nextInt(live.size());
            long[] old = live.get(slot);
            blocks.free(old[0]);
            long size = sizes.next();
            live.set(slot, new long[] {blocks.allocate(size), size});
            liveBytes += size - old[1];
        }
        phase("free-most");
        java.util.Collections.shuffle(live, new java.util.Random(0x5EED_0007L));
        List<long[]> kept = new ArrayList<>();
        for (int i = 0; i < live.size(); i++) {
            if (i % 10 == 0) {
                kept.add(live.get(i));
            } else {
                blocks.free(live.get(i)[0]);
                liveBytes -= live.get(i)[1];
            }
        }
        long rssAfterChurn = residentBytes();
        long pinned = blocks instanceof NoMemory ? 0 : pinnedBytes(blocks, kept);
        phase("idle");
        idle(idleMs, false);
        long rssAfterIdle = residentBytes();
        phase("trim");
        boolean trimmed = blocks.trim();
        Thread.sleep(AFTER_TRIM_MS);
        long rssAfterTrim = residentBytes();
        endSampling();
        for (long[] block : kept) {
            blocks.free(block[0]);
        }
        return new Row(peer, liveBytes, rssBefore, rssAfterChurn, rssAfterIdle, rssAfterTrim, trimmed, null, pinned);
    }

    /**
     * The distinct 4 KiB pages that {@code [address, address + size)} of the kept blocks overlap,
     * in bytes: the floor of resident memory for an allocator that cannot move a live block (each
     * such page holds at least one live byte), once the blocks have been written whole. A peer
     * can sit below it only where parts of its blocks were never written (this scenario writes a
     * block's first and last byte, so a fresh block's middle pages may never be faulted in).
     */
    static long pinnedBytes(LongBlocks blocks, List<long[]> kept) {
        long[][] ranges = new long[kept.size()][];
        for (int i = 0; i < ranges.length; i++) {
            long address = blocks.address(kept.get(i)[0]);
            ranges[i] = new long[] {address >>> 12, (address + kept.get(i)[1] - 1) >>> 12}; // first and last page
        }
        java.util.Arrays.sort(ranges, java.util.Comparator.comparingLong(r -> r[0]));
        long pages = 0;
        long covered = -1; // the last page counted so far
        for (long[] r : ranges) {
            long from = Math.max(r[0], covered + 1);
            if (r[1] >= from) {
                pages += r[1] - from + 1;
                covered = r[1];
            }
        }
        return pages << 12;
    }

    private static <B> Row churnObjects(String peer, ObjectBlocks<B> blocks, long liveTarget, long idleMs)
            throws Exception {
        SizeTable sizes = new SizeTable(MIN_BYTES, MAX_BYTES, 0x5EED_0005L);
        SplittableRandom random = new SplittableRandom(0x5EED_0006L);
        blocks.free(blocks.allocate(64));
        long rssBefore = residentBytes();
        phase("fill");
        List<B> live = new ArrayList<>();
        List<Long> liveSizes = new ArrayList<>();
        long liveBytes = 0;
        while (liveBytes < liveTarget) {
            long size = sizes.next();
            live.add(blocks.allocate(size));
            liveSizes.add(size);
            liveBytes += size;
        }
        phase("churn");
        for (int i = 0, n = live.size() * 4; i < n; i++) {
            int slot = random.nextInt(live.size());
            blocks.free(live.get(slot));
            long size = sizes.next();
            live.set(slot, blocks.allocate(size));
            liveBytes += size - liveSizes.set(slot, size);
        }
        phase("free-most");
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < live.size(); i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new java.util.Random(0x5EED_0007L));
        List<B> kept = new ArrayList<>();
        for (int k = 0; k < order.size(); k++) {
            int i = order.get(k);
            if (k % 10 == 0) {
                kept.add(live.get(i));
            } else {
                blocks.free(live.get(i));
                liveBytes -= liveSizes.get(i);
            }
            live.set(i, null);
        }
        long rssAfterChurn = residentBytes();
        phase("idle");
        idle(idleMs, blocks instanceof HeapBlocks);
        long rssAfterIdle = residentBytes();
        phase("trim");
        boolean trimmed = blocks.trim();
        Thread.sleep(AFTER_TRIM_MS);
        long rssAfterTrim = residentBytes();
        endSampling();
        for (B block : kept) {
            blocks.free(block);
        }
        return new Row(peer, liveBytes, rssBefore, rssAfterChurn, rssAfterIdle, rssAfterTrim, trimmed, null, 0);
    }

    /** Ends the child's RSS series: what follows (freeing the kept tenth, closing) is not part of it. */
    private static void endSampling() throws InterruptedException {
        if (sampler != null) {
            timeline = sampler.stop();
        }
    }

    /** Marks the start of a phase in the child's RSS series (no-op in the parent). */
    private static void phase(String name) {
        if (sampler != null) {
            sampler.phase(name);
        }
    }

    /**
     * Idles as a quiet service would. Only the heap peer, whose blocks the GC frees, gets a
     * {@code System.gc()}: a full GC itself adds resident pages (marking bitmaps), which would
     * otherwise be charged to allocators that never needed it.
     */
    private static void idle(long idleMs, boolean gc) throws InterruptedException {
        if (gc) {
            System.gc();
        }
        Thread.sleep(idleMs);
    }

    /**
     * The control row: the same loop and bookkeeping with no memory behind the blocks, so the JVM's
     * own growth during the run (JIT, metaspace, the bookkeeping lists) can be read off.
     */
    private static final class NoMemory implements LongBlocks {
        private long next = 1;

        @Override
        public long allocate(long byteSize) {
            return next++;
        }

        @Override
        public void free(long block) {
        }

        @Override
        public void close() {
        }
    }
}
