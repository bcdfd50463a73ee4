package dev.offheap.bench;

import dev.offheap.bench.library.LibraryAllocators;
import dev.offheap.bench.report.ReportMain;
import dev.offheap.bench.rss.RssAfterChurnMain;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Runs the whole suite in one go and writes the report: the JMH workloads (in a few JMH runs, so
 * each gets the parameters its mode needs), the fragmentation scenario, then {@link ReportMain}.
 * Every JMH run uses {@code -prof gc}, writes JSON into the output directory, and goes on when a
 * variant fails (a peer unavailable on this JVM is reported by JMH and left out of the tables).
 * This library's {@code HandleAllocator} variants run for every name in
 * {@link LibraryAllocators#NAMES}; with none, they are excluded.
 *
 * <p>Usage: {@code SuiteMain quick|full|smoke [OUT_DIR]} (default {@code docs/bench}).
 * {@code quick}: a few minutes on 2 cores, 1 fork, short iterations, a subset of the parameters.
 * {@code full}: the annotations' iterations and every parameter, 2 forks (over an hour).
 * {@code smoke}: seconds; a handful of variants, used to produce the report test's fixture.
 * Single-threaded (JMH forks its own JVMs).
 */
public final class SuiteMain {

    /** One JMH run: what it includes and the parameters it overrides. */
    private record Run(String name, List<String> includes, String[][] params) {
    }

    private SuiteMain() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "quick";
        Path out = Path.of(args.length > 1 ? args[1] : "docs/bench").toAbsolutePath();
        Files.createDirectories(out);
        List<Run> runs = switch (mode) {
            case "quick" -> List.of(
                    new Run("fixed", List.of("\\.FixedSizeBenchmark\\."), new String[][] {{"size", "64", "1024", "262144"}}),
                    new Run("tails", List.of("\\.FixedSizeTailBenchmark\\.", "\\.RandomSizeTailBenchmark\\."),
                            new String[][] {{"size", "64"}}),
                    new Run("scaling", List.of("\\.TwoThreadScalingBenchmark\\."), new String[][] {{"size", "64"}}),
                    new Run("other", List.of("\\.RandomSizeBenchmark\\.", "\\.BatchFreeBenchmark\\.",
                            "\\.CrossThreadBenchmark\\.", "\\.LarsonBenchmark\\.", "\\.CacheScratchBenchmark\\.",
                            "\\.FirstTouchBenchmark\\."), new String[][] {{"size", "64"}}));
            case "full" -> List.of(new Run("full", List.of("dev\\.offheap\\.bench\\."), new String[0][]));
            case "smoke" -> List.of(new Run("smoke", List.of(
                    "\\.FixedSizeBenchmark\\.(malloc|libraryBump|slicingAllocator|heap)$",
                    "\\.FixedSizeTailBenchmark\\.(malloc|libraryBump)$",
                    "\\.CrossThreadBenchmark\\.(malloc|nettyPooled)$"),
                    new String[][] {{"size", "64", "1024"}, {"sizes", "64"}}));
            default -> throw new IllegalArgumentException("mode must be quick, full or smoke: mode=" + mode);
        };
        List<Path> results = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Run run : runs) {
            Path json = out.resolve("jmh-" + run.name() + ".json");
            ChainedOptionsBuilder options = new OptionsBuilder()
                    .addProfiler(GCProfiler.class)
                    .resultFormat(ResultFormatType.JSON)
                    .result(json.toString())
                    .shouldFailOnError(false);
            run.includes().forEach(options::include);
            for (String[] param : run.params()) {
                options.param(param[0], java.util.Arrays.copyOfRange(param, 1, param.length));
            }
            List<String> excludes = new ArrayList<>();
            if (LibraryAllocators.NAMES.isEmpty()) {
                options.exclude("\\.library$");
                excludes.add("\\.library$");
            } else {
                options.param("library", LibraryAllocators.NAMES.toArray(String[]::new));
            }
            switch (mode) {
                case "quick" -> options.forks(1).warmupIterations(2).warmupTime(TimeValue.milliseconds(400))
                        .measurementIterations(2).measurementTime(TimeValue.milliseconds(400));
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
                    missing.add(entry.getUsername());
                }
            }
        }
        Files.write(out.resolve(ReportMain.FAILED_FILE), missing.stream().distinct().toList());
        Path rss = null;
        if (!mode.equals("smoke")) {
            rss = out.resolve("rss.json");
            RssAfterChurnMain.main(mode.equals("full")
                    ? new String[] {"--out", rss.toString(), "--live-mib", "256", "--idle-ms", "10000"}
                    : new String[] {"--out", rss.toString(), "--live-mib", "64", "--idle-ms", "2000"});
        }
        Path report = ReportMain.write(results, rss, out, mode);
        System.out.println("wrote " + report);
    }
}
