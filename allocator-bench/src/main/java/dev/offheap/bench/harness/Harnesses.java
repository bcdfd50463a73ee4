package dev.offheap.bench.harness;

import dev.offheap.bench.library.HandleBlocks;
import dev.offheap.bench.library.LibraryAllocators;
import dev.offheap.bench.peers.JemallocBlocks;
import dev.offheap.bench.peers.LongBlocks;
import dev.offheap.bench.peers.MallocBlocks;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What every harness main shares: its arguments ({@code --name value} pairs), the peers it can
 * open by name, and the median of a few rounds.
 *
 * <p>Stateless and thread-safe.
 */
public final class Harnesses {
    /** The name of this library's variant in every harness: {@code library:} and the allocator's name. */
    public static final String LIBRARY = "library:" + LibraryAllocators.NAMES.get(0);

    private Harnesses() {
    }

    /**
     * Parses {@code --name value} pairs.
     *
     * @param args    the main's arguments
     * @param allowed the names it takes, without {@code --}
     * @return the values by name
     * @throws IllegalArgumentException on a name not allowed or a name without a value
     */
    public static Map<String, String> options(String[] args, String... allowed) {
        Map<String, String> options = new HashMap<>();
        List<String> names = Arrays.asList(allowed);
        for (int i = 0; i < args.length; i += 2) {
            String name = args[i].startsWith("--") ? args[i].substring(2) : "";
            if (!names.contains(name) || i + 1 >= args.length) {
                throw new IllegalArgumentException("unknown argument or missing value: arg=" + args[i]
                        + ", allowed=" + names);
            }
            options.put(name, args[i + 1]);
        }
        return options;
    }

    /** {@return the output directory of {@code --out}, default {@code docs/bench}} */
    public static Path out(Map<String, String> options) {
        return Path.of(options.getOrDefault("out", "docs/bench"));
    }

    /**
     * Opens a peer whose blocks are {@code long}s and that any thread may free.
     *
     * @param peer {@link #LIBRARY}, {@code malloc} or {@code jemalloc}
     * @return the peer, owned by the caller
     * @throws IllegalArgumentException if the name is unknown
     */
    public static LongBlocks openLongPeer(String peer) {
        if (peer.startsWith("library:")) {
            return HandleBlocks.open(peer.substring("library:".length()));
        }
        return switch (peer) {
            case "malloc" -> new MallocBlocks();
            case "jemalloc" -> new JemallocBlocks();
            default -> throw new IllegalArgumentException("unknown peer: peer=" + peer);
        };
    }

    /** {@return the median of {@code values} (mean of the middle two for an even count)} */
    public static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Collects garbage until used heap stops shrinking (at most 8 rounds); returns used heap bytes. */
    public static long usedHeapAfterGc() throws InterruptedException {
        var memory = java.lang.management.ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 8; i++) {
            System.gc();
            Thread.sleep(50);
            long now = memory.getHeapMemoryUsage().getUsed();
            if (now >= used - (64 << 10)) {
                return Math.min(now, used);
            }
            used = now;
        }
        return used;
    }
}
