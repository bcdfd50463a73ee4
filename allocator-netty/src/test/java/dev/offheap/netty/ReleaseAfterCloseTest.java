package dev.offheap.netty;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Misuse that, with a bug, would touch memory the buffer no longer owns: buffers used and released
 * after their {@code OffHeap} closed (event loops shut down after the memory, the wrong order), and
 * a released buffer used with Netty's reference-count check switched off. Each body runs in a child
 * JVM ({@link ReleaseAfterCloseChild}, {@link UseAfterReleaseUncheckedChild}) so that a crash fails
 * the test instead of killing the suite; the child's exit code and output are the verdict.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReleaseAfterCloseTest {

    @Test
    void useAndReleaseAfterTheOffHeapClosedThrowInsteadOfCrashing() throws IOException, InterruptedException {
        String output = runChild(ReleaseAfterCloseChild.class);
        assertEquals(7, output.lines().filter(l -> l.endsWith(": IllegalStateException")).count(), output);
        assertTrue(output.contains("refCnt 0 after release: true, liveDirectBuffers 0: true"), output);
    }

    @Test
    void withNettysAccessCheckOffAReleasedBufferStillRefusesItsOldMemory() throws IOException, InterruptedException {
        String output = runChild(UseAfterReleaseUncheckedChild.class, "-Dio.netty.buffer.checkAccessible=false");
        assertEquals(4, output.lines().filter(l -> l.endsWith(": IndexOutOfBoundsException")).count(), output);
        assertTrue(output.contains("neighbour intact: true"), output);
    }

    /** {@return the child's output} It must exit 0 within 45 s; a crash is another exit code. */
    private static String runChild(Class<?> main, String... jvmArgs) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx256m"));
        command.addAll(List.of(jvmArgs));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        boolean finished = child.waitFor(45, TimeUnit.SECONDS);
        if (!finished) {
            child.destroyForcibly();
        }
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(finished, "child did not finish; output:\n" + output);
        assertEquals(0, child.exitValue(), "child exit code (a crash is neither 0 nor 1); output:\n" + output);
        return output;
    }
}
