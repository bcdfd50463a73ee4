package dev.offheap.netty;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Buffers touched and released after their {@code OffHeap} closed (event loops shut down after the
 * memory, the wrong order) throw {@link IllegalStateException} and never touch unmapped memory.
 * The body runs in a child JVM ({@link ReleaseAfterCloseChild}) because a bug here would be a
 * crash, which must fail this test rather than kill the suite.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReleaseAfterCloseTest {

    @Test
    void useAndReleaseAfterTheOffHeapClosedThrowInsteadOfCrashing() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), ReleaseAfterCloseChild.class.getName()))
                .redirectErrorStream(true).start();
        assertTrue(child.waitFor(45, TimeUnit.SECONDS), "child did not finish");
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), "child exit code (a crash is not 0 or 1); output:\n" + output);
        assertEquals(7, output.lines().filter(l -> l.endsWith(": IllegalStateException")).count(), output);
        assertTrue(output.contains("refCnt 0 after release: true, liveDirectBuffers 0: true"), output);
    }
}
