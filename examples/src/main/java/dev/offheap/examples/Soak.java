package dev.offheap.examples;

import dev.offheap.examples.soak.SoakStats;
import dev.offheap.examples.soak.SoakWorkload;
import dev.offheap.examples.soak.Workloads;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The soak: mixed region and bump workloads on several threads for a configurable time, then a
 * summary — operations done, misuse caught, limit refusals, corruptions, unexpected errors, leaks
 * (must be 0), resident memory before, at the peak and after. Exits with status 1 if anything that
 * must be 0 is not.
 *
 * <pre>
 * ./mvnw -B -q -Prun-example -DskipTests package -Dexample.main=dev.offheap.examples.Soak \
 *     -Dexample.args="--seconds 60 --threads 4"
 * </pre>
 */
public final class Soak {
    private Soak() {
    }

    public static void main(String[] args) throws Exception {
        long seconds = 10;
        int threads = 4;
        long seed = 1;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--seconds" -> seconds = Long.parseLong(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--seed" -> seed = Long.parseLong(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option: " + args[i]
                        + " (use --seconds N --threads N --seed N)");
            }
        }
        long rssBefore = residentBytes();
        List<SoakWorkload> workloads = Workloads.all();
        SoakStats stats = new SoakStats();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            SplittableRandom random = new SplittableRandom(seed * 1_000_003 + t);
            workers.add(Thread.ofPlatform().name("soak-" + t).start(() -> {
                List<SoakWorkload.Worker> mine = workloads.stream().map(w -> w.newWorker(stats)).toList();
                try {
                    while (running.get()) {
                        mine.get(random.nextInt(mine.size())).step(random);
                    }
                } catch (Throwable e) {
                    stats.unexpected(e);
                } finally {
                    for (SoakWorkload.Worker w : mine) {
                        try {
                            w.finish();
                        } catch (Throwable e) {
                            stats.unexpected(e);
                        }
                    }
                }
            }));
        }
        long peakRss = rssBefore;
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            Thread.sleep(Math.min(1000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            peakRss = Math.max(peakRss, residentBytes());
        }
        running.set(false);
        for (Thread w : workers) {
            w.join();
        }
        long leaks = 0;
        StringBuilder perWorkload = new StringBuilder();
        for (SoakWorkload w : workloads) {
            long leaked = w.leakedBytes();
            leaks += leaked;
            perWorkload.append(String.format("  %-8s leaked %,d B%n", w.name(), leaked));
            w.close();
        }
        long rssAfter = residentBytes();

        System.out.printf("soak: %d s, %d threads, seed %d, workloads %s%n", seconds, threads, seed,
                workloads.stream().map(SoakWorkload::name).toList());
        System.out.printf("operations      %,d%n", stats.operations.sum());
        System.out.printf("errors caught   %,d (misuse injected on purpose, refused with the documented exception)%n",
                stats.errorsCaught.sum());
        System.out.printf("limit refusals  %,d (OutOfOffHeapMemoryException under the limits, as documented)%n",
                stats.refusals.sum());
        System.out.printf("corruptions     %,d%n", stats.corruptions.sum());
        System.out.printf("unexpected      %,d%n", stats.unexpected.sum());
        System.out.printf("leaks           %,d B%n", leaks);
        System.out.print(perWorkload);
        System.out.printf("resident memory before %,d KiB, peak %,d KiB, after %,d KiB%n",
                rssBefore >> 10, peakRss >> 10, rssAfter >> 10);
        boolean clean = leaks == 0 && stats.corruptions.sum() == 0 && stats.unexpected.sum() == 0;
        System.out.println(clean ? "result: 0 lost, 0 corrupted, 0 crashes" : "result: FAILED");
        if (!clean) {
            System.exit(1);
        }
    }

    /** {@return the process's resident set from /proc/self/status, or -1 where there is none} */
    private static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
