package dev.offheap.bench.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one measurement in a fresh JVM on this JVM's class path, with the benchmarks' flags (native
 * access, Netty leak detection off), so that no measurement inherits another's JIT state, heap or
 * retained native memory. The child prints its result as one line {@code RESULT <json>}
 * ({@link HarnessReport#toJsonLine}); every other line is kept as its log.
 *
 * <p>Thread-safe (stateless); each call blocks until its child exits or times out.
 */
public final class ChildJvm {
    /** The prefix of the one line of a child's stdout that holds its result. */
    public static final String RESULT_PREFIX = "RESULT ";

    private ChildJvm() {
    }

    /**
     * What a child produced.
     *
     * @param report its result, or null if it printed none
     * @param exit   its exit code (-1 if killed on timeout)
     * @param log    everything else it printed
     */
    public record Outcome(HarnessReport report, int exit, String log) {
        /** {@return the first line of the log that says why there is no result} */
        public String why() {
            return log.lines().filter(l -> !l.startsWith("WARNING") && !l.isBlank()).findFirst()
                    .orElse("exit=" + exit);
        }
    }

    /**
     * Runs {@code mainClass} in a child JVM.
     *
     * @param mainClass the class whose {@code main} runs
     * @param jvmArgs   flags besides the defaults (e.g. {@code -Xmx2g})
     * @param args      the main's arguments
     * @param timeout   seconds after which the child is killed
     * @return what it printed and how it ended
     * @throws IOException if it cannot be started
     * @throws InterruptedException if interrupted while waiting
     */
    public static Outcome run(Class<?> mainClass, List<String> jvmArgs, List<String> args, long timeout)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-Dio.netty.leakDetection.level=disabled"));
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder log = new StringBuilder();
        HarnessReport[] report = new HarnessReport[1];
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith(RESULT_PREFIX)) {
                        report[0] = HarnessReport.fromJson(line.substring(RESULT_PREFIX.length()));
                    } else {
                        synchronized (log) {
                            log.append(line).append('\n');
                        }
                    }
                }
            } catch (IOException e) {
                synchronized (log) {
                    log.append("reading the child's output failed: ").append(e).append('\n');
                }
            }
        });
        int exit;
        if (process.waitFor(timeout, TimeUnit.SECONDS)) {
            exit = process.exitValue();
        } else {
            process.destroyForcibly().waitFor();
            exit = -1;
            synchronized (log) {
                log.insert(0, "timed out: seconds=" + timeout + "\n");
            }
        }
        reader.join(TimeUnit.SECONDS.toMillis(5));
        synchronized (log) {
            return new Outcome(report[0], exit, log.toString());
        }
    }

    /**
     * Prints a child's result line (called by the child's {@code main}).
     *
     * @param report the result
     */
    public static void emit(HarnessReport report) {
        System.out.println(RESULT_PREFIX + report.toJsonLine());
        System.out.flush();
    }
}
