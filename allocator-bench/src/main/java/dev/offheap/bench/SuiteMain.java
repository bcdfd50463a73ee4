package dev.offheap.bench;

import dev.offheap.bench.harness.ColdStartMain;
import dev.offheap.bench.harness.FootprintMain;
import dev.offheap.bench.harness.GcPauseMain;
import dev.offheap.bench.harness.GrowthLatencyMain;
import dev.offheap.bench.harness.HarnessReport;
import dev.offheap.bench.harness.VirtualThreadsMain;
import dev.offheap.bench.library.LibraryAllocators;
import dev.offheap.bench.report.ReportMain;
import dev.offheap.bench.rss.RssAfterChurnMain;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Runs the whole suite in one go and writes the report: the JMH workloads (in a few JMH runs, so
 * each gets the parameters and thread count its mode needs), the harnesses (virtual threads,
 * growth, cold start, footprint, GC pauses, resident memory after churn; each forks a JVM per
 * peer), then {@link ReportMain}. Every JMH run uses {@code -prof gc}, writes JSON into the output
 * directory, and goes on when a variant fails (a peer unavailable on this JVM is reported by JMH
 * and left out of the tables). This library's variants run for every name in
 * {@link LibraryAllocators#NAMES}; with none, they are excluded.
 *
 * <p>Usage: {@code SuiteMain quick|full|smoke [OUT_DIR] [jmh,harness]} (default {@code docs/bench},
 * both parts; the report is always written from what the directory holds).
 * {@code quick}: about 15 minutes on 2 cores: 1 fork, short iterations (the steady-state random-size
 * workload keeps a 5 s warm-up), a subset of the parameters, harnesses at their target sizes
 * where that is cheap. {@code full}: the annotations' iterations and every parameter, 2 forks, full
 * harness sizes (over an hour). {@code smoke}: a few minutes; a handful of variants and tiny
 * harnesses, used to produce the report test's fixtures. Single-threaded (JMH and the harnesses
 * fork their own JVMs).
 */
public final class SuiteMain {
    /** Variants the thread-scaling runs keep: the library and the peers its targets name. */
    private static final String SCALING_FIXED = "\\.FixedSizeBenchmark\\.(library|libraryHandleOnly|malloc|jemalloc|nettyPooled)$";
    private static final String SCALING_CROSS = "\\.CrossThreadBenchmark\\.(library|malloc|jemalloc|nettyPooled)$";

    /**
     * One JMH run: what it includes, the parameters it overrides, its thread count (0: the
     * annotations'), and whether it keeps the annotations' iterations in quick mode.
     */
    private record Run(String name, List<String> includes, String[][] params, int threads, boolean ownIterations) {
        Run(String name, List<String> includes, String[][] params) {
            this(name, includes, params, 0, false);
        }
    }

    private SuiteMain() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "quick";
        Path out = Path.of(args.length > 1 ? args[1] : "docs/bench").toAbsolutePath();
        List<String> parts = Arrays.asList((args.length > 2 ? args[2] : "jmh,harness").split(","));
        Files.createDirectories(out);
        List<Path> results = new ArrayList<>();
        if (parts.contains("jmh")) {
            runJmh(mode, out, results);
        } else {
            try (var files = Files.list(out)) {
                files.filter(p -> p.getFileName().toString().matches("jmh-.*\\.json")).sorted().forEach(results::add);
            }
        }
        if (parts.contains("harness")) {
            runHarnesses(mode, out);
        }
        List<Path> harness = new ArrayList<>();
        try (var files = Files.list(out)) {
            // Only the JSON: the report's own charts are named harness-*.png.
            files.filter(p -> p.getFileName().toString().startsWith(HarnessReport.FILE_PREFIX)
                    && p.getFileName().toString().endsWith(".json")).sorted()
                    .forEach(harness::add);
        }
        Path rss = out.resolve("rss.json");
        Path report = ReportMain.write(results, Files.exists(rss) ? rss : null, harness, out, mode, null);
        System.out.println("wrote " + report);
    }

    private static List<Run> runs(String mode) {
        String[][] size64 = {{"size", "64"}};
        List<Run> scaling = List.of(
                new Run("scaling-fixed-t2", List.of(SCALING_FIXED), size64, 2, false),
                new Run("scaling-fixed-t4", List.of(SCALING_FIXED), size64, 4, false),
                new Run("scaling-cross-t4", List.of(SCALING_CROSS), new String[][] {{"sizes", "64"}}, 4, false),
                new Run("scaling-cross-t8", List.of(SCALING_CROSS), new String[][] {{"sizes", "64"}}, 8, false));
        return switch (mode) {
            case "quick" -> {
                List<Run> runs = new ArrayList<>(List.of(
                        new Run("fixed", List.of("\\.FixedSizeBenchmark\\."), new String[][] {{"size", "64", "1024", "262144"}}),
                        new Run("tails", List.of("\\.FixedSizeTailBenchmark\\.(library|libraryHandleOnly|malloc|"
                                + "mallocHandleOnly|jemalloc|nettyPooled)$"), size64),
                        new Run("steady", List.of("\\.RandomSizeSteadyBenchmark\\."), new String[0][], 0, true),
                        new Run("cross", List.of("\\.CrossThreadBenchmark\\."), new String[0][]),
                        new Run("other", List.of("\\.RandomSizeBenchmark\\.", "\\.BatchFreeBenchmark\\.",
                                "\\.LarsonBenchmark\\.", "\\.CacheScratchBenchmark\\.", "\\.FirstTouchBenchmark\\."),
                                size64)));
                runs.addAll(scaling);
                yield runs;
            }
            case "full" -> {
                List<Run> runs = new ArrayList<>(List.of(new Run("full", List.of("dev\\.offheap\\.bench\\."), new String[0][])));
                runs.addAll(scaling);
                yield runs;
            }
            case "smoke" -> List.of(new Run("smoke", List.of(
                    "\\.FixedSizeBenchmark\\.(library|libraryHandleOnly|malloc|mallocHandleOnly|libraryBump|slicingAllocator|heap)$",
                    "\\.FixedSizeTailBenchmark\\.(malloc|libraryBump)$",
                    "\\.CrossThreadBenchmark\\.(library|malloc|nettyPooled)$"),
                    new String[][] {{"size", "64", "1024"}, {"sizes", "64"}}),
                    new Run("smoke-scaling", List.of("\\.FixedSizeBenchmark\\.(library|malloc)$"), size64, 2, false));
            default -> throw new IllegalArgumentException("mode must be quick, full or smoke: mode=" + mode);
        };
    }

    private static void runJmh(String mode, Path out, List<Path> results) throws Exception {
        List<String> missing = new ArrayList<>();
        for (Run run : runs(mode)) {
            Path json = out.resolve("jmh-" + run.name() + ".json");
            ChainedOptionsBuilder options = new OptionsBuilder()
                    .addProfiler(GCProfiler.class)
                    .resultFormat(ResultFormatType.JSON)
                    .result(json.toString())
                    .shouldFailOnError(false);
            run.includes().forEach(options::include);
            for (String[] param : run.params()) {
                options.param(param[0], Arrays.copyOfRange(param, 1, param.length));
            }
            if (run.threads() > 0) {
                options.threads(run.threads());
            }
            List<String> excludes = new ArrayList<>();
            if (LibraryAllocators.NAMES.isEmpty()) {
                options.exclude("\\.library(HandleOnly)?$");
                excludes.add("\\.library(HandleOnly)?$");
            } else {
                options.param("library", LibraryAllocators.NAMES.toArray(String[]::new));
            }
            switch (mode) {
                case "quick" -> {
                    options.forks(1);
                    if (run.ownIterations()) {
                        // Steady state: a warm-up long enough for C2 (about 1.2 s for the library).
                        options.warmupIterations(5).warmupTime(TimeValue.seconds(1))
                                .measurementIterations(3).measurementTime(TimeValue.seconds(1));
                    } else {
                        options.warmupIterations(2).warmupTime(TimeValue.milliseconds(400))
                                .measurementIterations(2).measurementTime(TimeValue.milliseconds(400));
                    }
                }
                case "smoke" -> options.forks(1).warmupIterations(1).warmupTime(TimeValue.milliseconds(200))
                        .measurementIterations(2).measurementTime(TimeValue.milliseconds(200));
                default -> options.forks(2);
            }
            Collection<RunResult> done = new Runner(options.build()).run();
            results.add(json);
            // Benchmarks that were selected but produced no result failed (JMH's log says why).
            Set<String> measured = new HashSet<>();
            done.forEach(r -> measured.add(r.getParams().getBenchmark()));
            for (BenchmarkListEntry entry : BenchmarkList.defaultList()
                    .find(OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT),
                            run.includes(), excludes)) {
                if (!measured.contains(entry.getUsername())) {
                    missing.add(entry.getUsername() + (run.threads() > 0 ? " (" + run.threads() + " threads)" : ""));
                }
            }
        }
        Files.write(out.resolve(ReportMain.FAILED_FILE), missing.stream().distinct().toList());
    }

    /** Runs every harness with the sizes of {@code mode}; each writes its JSON into {@code out}. */
    private static void runHarnesses(String mode, Path out) throws Exception {
        String dir = out.toString();
        boolean full = mode.equals("full");
        boolean smoke = mode.equals("smoke");
        VirtualThreadsMain.main(new String[] {"--out", dir, "--warmup", full ? "2" : smoke ? "0" : "1",
                "--rounds", full ? "5" : "1"});
        GrowthLatencyMain.main(new String[] {"--out", dir, "--grow-mib", smoke ? "16" : "1024"});
        ColdStartMain.main(new String[] {"--out", dir, "--forks", full ? "20" : smoke ? "2" : "5"});
        FootprintMain.main(new String[] {"--out", dir, "--live-mib", full ? "1024" : smoke ? "16" : "256"});
        GcPauseMain.main(new String[] {"--out", dir, "--live-mib", full ? "2048" : smoke ? "32" : "512",
                "--seconds", full ? "60" : smoke ? "2" : "15"});
        List<String> rss = new ArrayList<>(List.of("--out", out.resolve("rss.json").toString(),
                "--live-mib", smoke ? "16" : "512")); // issue 12's fill: 512 MiB
        if (!full) {
            rss.addAll(List.of("--peers", String.join(",", RssAfterChurnMain.MAIN_PEERS)));
        }
        if (smoke) {
            rss.addAll(List.of("--idle-ms", "2000"));
        }
        RssAfterChurnMain.main(rss.toArray(String[]::new));
    }
}
