package dev.offheap.examples.memcached;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shutdown: drain, close, report; and the leak check itself, with a real leak as its control. */
@Timeout(120)
class ShutdownTest {

    @Test
    void shutdownWithConnectionsOpenDrainsAndReportsClean() throws Exception {
        MemcachedServer server = MemcachedServer.start(ServerConfig.defaults().withMetricsPort(-1));
        List<TextExchange> open = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                TextExchange raw = new TextExchange(server.port());
                assertEquals("STORED\r\n", raw.call("set k" + i + " 0 0 1\r\nx\r\n", "\r\n"));
                open.add(raw);
            }
            ShutdownReport report = server.shutdown();
            assertEquals(5, report.connectionsDrained());
            assertTrue(report.clean(), report.toString());
            for (TextExchange raw : open) {
                assertTrue(raw.closedByServer(), "the server closed every connection");
            }
            assertEquals(report, server.shutdown(), "idempotent");
        } finally {
            for (TextExchange raw : open) {
                raw.close();
            }
        }
    }

    @Test
    void aBlockNobodyFreedIsReportedAsALeak() throws Exception {
        // positive control for the check every other test ends with
        MemcachedServer server = MemcachedServer.start(ServerConfig.defaults().withMetricsPort(-1));
        server.memory().allocate(100); // owned by nothing the server knows
        ShutdownReport report = server.shutdown();
        assertEquals(1, report.blocksLeftAfterDrain());
        assertEquals(1, report.leaksReported());
        assertFalse(report.clean());
    }

    @Test
    void sigtermStopsTheServingProcessCleanly() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), MainJob.class.getName(), "--serve", "0", "--metrics-port", "-1")
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String banner = out.readLine();
            Matcher m = Pattern.compile("on 127\\.0\\.0\\.1:(\\d+) ").matcher(String.valueOf(banner));
            assertTrue(m.find(), "banner: " + banner);
            try (TextExchange raw = new TextExchange(Integer.parseInt(m.group(1)))) {
                assertEquals("STORED\r\n", raw.call("set k 0 0 1\r\nx\r\n", "\r\n"));
                // SIGTERM through kill(1): Process.destroy() would also close our end of its output
                assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor());
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the process stopped");
                assertTrue(raw.closedByServer());
            }
            String report = out.readLine();
            assertEquals("stopped: ShutdownReport[connectionsDrained=1, blocksLeftAfterDrain=0, leaksReported=0, doubleFrees=0]", report);
            assertEquals(143, p.exitValue(), "128 + SIGTERM, as the JVM exits on it");
        } finally {
            p.destroyForcibly();
        }
    }
}
