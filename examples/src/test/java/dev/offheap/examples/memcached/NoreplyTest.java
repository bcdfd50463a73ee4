package dev.offheap.examples.memcached;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code noreply} wherever memcached takes it: each command is followed by {@code version}, so a
 * reply that should not be there shows up before the version line.
 */
@Timeout(60)
class NoreplyTest {
    private static final String VERSION = "VERSION " + StatsReport.VERSION + "\r\n";

    @Test
    void noCommandWithNoreplyAnswersAndEachStillActs() throws Exception {
        try (ServerFixture f = new ServerFixture(); TextExchange raw = f.raw()) {
            quiet(raw, "set a 0 0 1 noreply\r\n1\r\n");
            quiet(raw, "add a 0 0 1 noreply\r\n2\r\n"); // NOT_STORED, unsaid
            quiet(raw, "add b 0 0 1 noreply\r\n5\r\n");
            quiet(raw, "replace b 0 0 1 noreply\r\n6\r\n");
            quiet(raw, "append a 0 0 1 noreply\r\n0\r\n");
            quiet(raw, "prepend a 0 0 1 noreply\r\n9\r\n");
            quiet(raw, "incr a 5 noreply\r\n");
            quiet(raw, "decr a 1 noreply\r\n");
            quiet(raw, "touch a 100 noreply\r\n");
            quiet(raw, "verbosity 1 noreply\r\n");
            String gets = raw.call("gets b\r\n", "END\r\n");
            String unique = gets.split("\r\n")[0].split(" ")[4]; // VALUE b 0 1 <unique>
            quiet(raw, "cas b 0 0 1 " + unique + " noreply\r\n7\r\n");
            quiet(raw, "cas b 0 0 1 " + unique + " noreply\r\n8\r\n"); // EXISTS, unsaid
            assertEquals("VALUE a 0 3\r\n914\r\nVALUE b 0 1\r\n7\r\nEND\r\n", raw.call("get a b\r\n", "END\r\n"),
                    "each quiet command acted: 9+1+0 = 910, +5 -1 = 914; the first cas won, the second did not");
            quiet(raw, "delete b noreply\r\n");
            quiet(raw, "delete b noreply\r\n"); // NOT_FOUND, unsaid
            assertEquals("END\r\n", raw.call("get b\r\n", "END\r\n"));
            quiet(raw, "flush_all noreply\r\n");
            assertEquals("END\r\n", raw.call("get a\r\n", "END\r\n"));
            // positive control: without noreply the same command does answer before the version line
            assertEquals("STORED\r\n" + VERSION, raw.call("set c 0 0 1\r\nx\r\nversion\r\n", VERSION));
            // errors are sent even with noreply, as memcached sends them
            assertEquals("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n" + VERSION,
                    raw.call("incr c 1 noreply\r\nversion\r\n", VERSION));
        }
    }

    private static void quiet(TextExchange raw, String command) throws Exception {
        assertEquals(VERSION, raw.call(command + "version\r\n", VERSION), "no reply to: " + command.trim());
    }
}
