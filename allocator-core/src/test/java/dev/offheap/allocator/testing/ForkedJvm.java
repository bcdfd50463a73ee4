package dev.offheap.allocator.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * TEST ONLY: runs the {@code main} of a test class in a child {@code java}, with the test class
 * path and {@code --enable-native-access=ALL-UNNAMED}, so that a test whose body could crash the JVM
 * (a close racing accesses, native memory) fails with the child's exit code instead of killing the
 * suite.
 *
 * <p>Thread-safety: stateless; each call runs its own child in its own working directory.
 */
public final class ForkedJvm {
    /** A child that runs longer than this is killed, and its exit code reads -1. */
    private static final long TIMEOUT_SECONDS = 120;

    private ForkedJvm() {
    }

    /**
     * What the child did.
     *
     * @param exitCode its exit code; -1 if it was killed after {@value #TIMEOUT_SECONDS} s
     * @param output everything it printed, stdout and stderr merged
     * @param crashSummary the summary line of the {@code hs_err} file the JVM wrote if it crashed
     *        (such as {@code # SIGSEGV (0xb) at pc=...}), or the empty string
     */
    public record Result(int exitCode, String output, String crashSummary) {
        /** {@return a line for an assertion message: exit code, crash summary, output} */
        public String describe() {
            return "exitCode=" + exitCode + ", crash=" + crashSummary + ", output=\n" + output;
        }
    }

    /**
     * Runs {@code main.main(args)} in a child JVM and waits for it.
     *
     * @param main a class with a {@code public static void main(String[])} on the test class path
     * @param args its arguments
     * @return the exit code, the output and the crash summary
     */
    public static Result run(Class<?> main, String... args) {
        try {
            Path dir = Files.createTempDirectory("forked-jvm");
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("--enable-native-access=ALL-UNNAMED");
            command.add("-Xmx256m");
            command.add("-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log"));
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(main.getName());
            command.addAll(List.of(args));
            Process child = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            StringBuilder output = new StringBuilder();
            // Read while it runs, so a chatty child cannot fill the pipe and stall.
            Thread reader = Thread.ofPlatform().daemon().start(() -> {
                try {
                    output.append(new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    output.append("[output lost: ").append(e).append(']');
                }
            });
            int exitCode;
            if (child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                exitCode = child.exitValue();
            } else {
                child.destroyForcibly().waitFor();
                exitCode = -1;
            }
            reader.join(10_000);
            synchronized (output) {
                return new Result(exitCode, output.toString(), crashSummary(dir));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not start a child JVM", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for a child JVM", e);
        }
    }

    /** {@return the line of an hs_err file in {@code dir} that names the signal or error, or ""} */
    private static String crashSummary(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList()) {
                for (String line : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
                    if (line.startsWith("# ") && (line.contains("SIG") || line.contains("Internal Error")
                            || line.contains("EXCEPTION_"))) {
                        return line;
                    }
                }
                return "hs_err written: " + file;
            }
        }
        return "";
    }
}
