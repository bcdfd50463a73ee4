package dev.offheap.allocator.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@code main} class of the test classpath in a child JVM, so a test whose body could crash
 * the JVM (an access to unmapped memory) fails with the child's exit code instead of killing the
 * suite. The child gets native access and the same class path.
 *
 * <p>Thread-safety: stateless.
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** What the child did: its exit code and everything it printed (stdout and stderr merged). */
    public record Result(int exitCode, String output) {
    }

    /**
     * Runs {@code mainClass} with {@code args} and waits for it.
     *
     * @param mainClass a class with a {@code public static void main(String[])}
     * @param timeoutSeconds how long to wait before the child is killed (exit code -1 then)
     * @param args the program's arguments
     * @return the exit code and output
     * @throws IOException if the child cannot start
     * @throws InterruptedException if interrupted while waiting
     */
    public static Result run(Class<?> mainClass, long timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-Xmx256m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        // Read while it runs, so a chatty child cannot fill the pipe and stall.
        StringBuilder output = new StringBuilder();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try {
                output.append(new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                output.append("[output lost: ").append(e).append(']');
            }
        });
        if (!child.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            child.destroyForcibly().waitFor();
            reader.join(5_000);
            return new Result(-1, output + "[killed after " + timeoutSeconds + " s]");
        }
        reader.join(5_000);
        return new Result(child.exitValue(), output.toString());
    }
}
