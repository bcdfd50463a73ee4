package dev.offheap.bench.harness;

import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.bench.library.LibraryHooks;
import dev.offheap.bench.peers.MallocBlocks;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Issue 11's cold-start target: in a fresh JVM, the time of {@code OffHeap.builder().build()} and
 * then of the first {@code allocate(64)} (with its first and last byte written through
 * {@link LibraryHooks#writeFirstLast}), and of the second, measured in {@code --forks} JVMs one
 * after another. The malloc row is the first {@code malloc(64)} through FFM in a fresh JVM, downcall
 * linkage included (the library's {@code build()} links its own downcalls). Figures: median and max
 * over the JVMs. Target: first allocate ≤ 10 ms.
 *
 * <p>Usage: {@code ColdStartMain [--out DIR] [--forks 5]}; writes {@code harness-cold-start.json}.
 * Single-threaded.
 */
public final class ColdStartMain {
    private static final long BLOCK_BYTES = 64;

    private ColdStartMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Harnesses.options(args, "out", "forks", "peer");
        if (o.containsKey("peer")) {
            ChildJvm.emit(once(o.get("peer")));
            return;
        }
        int forks = Integer.parseInt(o.getOrDefault("forks", "5"));
        HarnessReport report = HarnessReport.of("cold-start", "first operations in a fresh JVM (-Xmx512m), "
                + forks + " JVMs per peer; median and max");
        for (String peer : List.of(Harnesses.LIBRARY, "malloc")) {
            HarnessReport runs = HarnessReport.of("cold-start", null);
            for (int i = 0; i < forks; i++) {
                runs.addChild(peer, ChildJvm.run(ColdStartMain.class, List.of("-Xmx512m"), List.of("--peer", peer), 120));
            }
            report.errors().addAll(runs.errors().stream().distinct().toList());
            for (String metric : List.of("build.ms", "first.allocate.ms", "second.allocate.ms")) {
                List<Double> values = new ArrayList<>();
                runs.figures().stream().filter(f -> f.metric().equals(metric)).forEach(f -> values.add(f.value()));
                if (!values.isEmpty()) {
                    report.add(peer, metric.replace(".ms", ".median.ms"), Harnesses.median(values), "ms");
                    report.add(peer, metric.replace(".ms", ".max.ms"),
                            values.stream().mapToDouble(Double::doubleValue).max().orElseThrow(), "ms");
                }
            }
            report.add(peer, "jvms", runs.figures().stream().filter(f -> f.metric().equals("first.allocate.ms")).count(),
                    "count");
        }
        System.out.println("wrote " + report.write(Harnesses.out(o)));
    }

    private static HarnessReport once(String peer) {
        HarnessReport r = HarnessReport.of("cold-start", null);
        if (peer.equals("malloc")) {
            long t0 = System.nanoTime();
            long first = MallocBlocks.malloc(BLOCK_BYTES);
            long t1 = System.nanoTime();
            long second = MallocBlocks.malloc(BLOCK_BYTES);
            long t2 = System.nanoTime();
            MallocBlocks.freeAddress(first);
            MallocBlocks.freeAddress(second);
            r.add(peer, "first.allocate.ms", (t1 - t0) / 1e6, "ms");
            r.add(peer, "second.allocate.ms", (t2 - t1) / 1e6, "ms");
            return r;
        }
        long t0 = System.nanoTime();
        try (OffHeap memory = OffHeap.builder().name("cold-start").build()) {
            long t1 = System.nanoTime();
            long first = memory.allocate(BLOCK_BYTES);
            LibraryHooks.writeFirstLast(memory, first, BLOCK_BYTES);
            long t2 = System.nanoTime();
            long second = memory.allocate(BLOCK_BYTES);
            LibraryHooks.writeFirstLast(memory, second, BLOCK_BYTES);
            long t3 = System.nanoTime();
            memory.free(first);
            memory.free(second);
            r.add(peer, "build.ms", (t1 - t0) / 1e6, "ms");
            r.add(peer, "first.allocate.ms", (t2 - t1) / 1e6, "ms");
            r.add(peer, "second.allocate.ms", (t3 - t2) / 1e6, "ms");
        }
        return r;
    }
}
