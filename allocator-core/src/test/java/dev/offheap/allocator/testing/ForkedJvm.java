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
 * Runs a test body in a child JVM, so a body that could crash the JVM (native memory, close races)
 * fails one test with the child's exit code and its {@code hs_err} summary instead of killing the
 * suite.
 *
 * <p>The child runs {@code main.main(args)} with this JVM's class path, {@code java} binary and
 * {@code --enable-native-access=ALL-UNNAMED}; it counts as passed when it exits 0. A body signals
 * failure by throwing (exit 1) or by {@code System.exit(n)}; a crash shows as exit 134 (SIGABRT
 * after the JVM's error handler) with the {@code hs_err} header in {@link Result#output()}.
 *
 * {@snippet :
 * ForkedJvm.Result r = ForkedJvm.run(RegionCloseBody.class, "slab");
 * assertEquals(0, r.exitCode(), r::describe);
 * }
 *
 * <p>Thread-safety: stateless; each call starts its own process.
 */
public final class ForkedJvm {
    /** How long a child may run before it is killed and the run fails. */
    public static final long TIMEOUT_SECONDS = 60;

    private ForkedJvm() {
    }

    /**
     * What a child JVM did.
     *
     * @param exitCode its exit code; -1 if it was killed at the timeout
     * @param output its standard output and error, interleaved, plus the {@code hs_err} file's first
     *        lines if it crashed
     */
    public record Result(int exitCode, String output) {
        /** {@return whether the child crashed in native code (an {@code hs_err} report was written)} */
        public boolean crashed() {
            return output.contains("A fatal error has been detected by the Java Runtime Environment");
        }

        /** {@return a message for an assertion: exit code and the child's output} */
        public String describe() {
            return "forked JVM exited " + exitCode + (crashed() ? " (JVM crash)" : "") + ":\n" + output;
        }
    }

    /**
     * Runs {@code main.main(args)} in a child JVM and waits for it.
     *
     * @param main a class with a {@code public static void main(String[])}
     * @param args its arguments
     * @return what the child did
     */
    public static Result run(Class<?> main, String... args) {
        return run(List.of(), main, args);
    }

    /**
     * Runs {@code main.main(args)} in a child JVM with extra JVM options and waits for it.
     *
     * @param jvmOptions options placed before the class name (for example {@code -Xmx64m})
     * @param main a class with a {@code public static void main(String[])}
     * @param args its arguments
     * @return what the child did
     */
    public static Result run(List<String> jvmOptions, Class<?> main, String... args) {
        try {
            Path dir = Files.createTempDirectory("forked-jvm");
            Path log = dir.resolve("output.txt");
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("--enable-native-access=ALL-UNNAMED");
            command.add("-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"));
            command.add("-XX:-CreateCoredumpOnCrash");
            command.add("-Xmx256m");
            command.addAll(jvmOptions);
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(main.getName());
            command.addAll(List.of(args));
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            int exit;
            if (process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                exit = process.exitValue();
            } else {
                process.destroyForcibly().waitFor();
                exit = -1;
            }
            StringBuilder out = new StringBuilder(Files.readString(log, StandardCharsets.UTF_8));
            if (exit == -1) {
                out.append("\n[killed after ").append(TIMEOUT_SECONDS).append(" s]");
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path err : files.filter(p -> p.getFileName().toString().startsWith("hs_err")).toList()) {
                    out.append("\n--- ").append(err.getFileName()).append(" (first lines, then the Java frames) ---\n");
                    List<String> lines = Files.readAllLines(err);
                    lines.stream().limit(25).forEach(l -> out.append(l).append('\n'));
                    // Which of the project's calls crashed: the frames say, the header does not.
                    int frames = lines.indexOf("Java frames: (J=compiled Java code, j=interpreted, Vv=VM code)");
                    if (frames >= 0) {
                        lines.stream().skip(frames).limit(30).forEach(l -> out.append(l).append('\n'));
                    }
                    Path kept = Path.of("target", "forked-jvm-crashes", err.getFileName().toString());
                    Files.createDirectories(kept.getParent());
                    Files.copy(err, kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    out.append("[whole report kept in ").append(kept.toAbsolutePath()).append("]\n");
                }
            }
            return new Result(exit, out.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a forked JVM", e);
        }
    }
}
