package dev.offheap.examples.memcached;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input over raw sockets: each case gets memcached's answer, leaves the entries it did not
 * name intact, and (the fixture's check) leaves no block behind.
 */
@Timeout(120)
class BadInputTest {

    @Test
    void unknownCommandsAreErrorAndTheConnectionCarriesOn() throws Exception {
        try (ServerFixture f = new ServerFixture(); TextExchange raw = f.raw()) {
            assertEquals("ERROR\r\n", raw.call("bogus\r\n", "\r\n"));
            assertEquals("ERROR\r\n", raw.call("\r\n", "\r\n"));
            assertEquals("ERROR\r\n", raw.call("GET k\r\n", "\r\n"), "commands are case-sensitive");
            assertEquals("ERROR\r\n", raw.call("get\r\n", "\r\n"));
            assertEquals("STORED\r\n", raw.call("set k 0 0 1\r\nx\r\n", "\r\n"), "positive control: the connection works");
        }
    }

    @Test
    void malformedLinesAreClientErrors() throws Exception {
        try (ServerFixture f = new ServerFixture(); TextExchange raw = f.raw()) {
            assertEquals("STORED\r\n", raw.call("set keep 0 0 4\r\nkeep\r\n", "\r\n"));
            assertEquals("CLIENT_ERROR bad command line format\r\n", raw.call("set k 0 0 -1\r\n", "\r\n"));
            assertEquals("CLIENT_ERROR bad command line format\r\n", raw.call("set k 0 0 abc\r\n", "\r\n"));
            assertEquals("CLIENT_ERROR bad command line format\r\n", raw.call("set k 0 0 99999999999\r\n", "\r\n"));
            // a bad flag with a good length: the data block is dropped, not read as a command (memcached
            // would run "delete keep" here; this server does not let a value's bytes become a command)
            assertEquals("CLIENT_ERROR bad command line format\r\n", raw.call("set k x 0 11\r\ndelete keep\r\n", "\r\n"));
            assertEquals("CLIENT_ERROR bad command line format\r\n", raw.call("set k -1 0 1\r\nx\r\n", "\r\n"));
            assertEquals("CLIENT_ERROR bad command line format\r\n", raw.call("set k 4294967296 0 1\r\nx\r\n", "\r\n"),
                    "flags are 32 bits (memcached 1.6.18 takes and truncates this one)");
            String longKey = "k".repeat(251);
            assertEquals("CLIENT_ERROR bad command line format\r\n", raw.call("set " + longKey + " 0 0 1\r\nx\r\n", "\r\n"));
            assertEquals("CLIENT_ERROR bad command line format\r\n", raw.call("get " + longKey + "\r\n", "\r\n"));
            assertEquals("STORED\r\n", raw.call("set " + "k".repeat(250) + " 0 0 1\r\nx\r\n", "\r\n"), "250 bytes is allowed");
            // the data block is longer than announced
            assertEquals("CLIENT_ERROR bad data chunk\r\n", raw.call("set k 0 0 2\r\nabc\r\n", "\r\n"));
            assertEquals("ERROR\r\n", raw.readUntil("\r\n"), "the rest of the line reads as a command, as in memcached");
            assertEquals("CLIENT_ERROR invalid numeric delta argument\r\n", raw.call("incr keep abc\r\n", "\r\n"));
            assertEquals("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n", raw.call("incr keep 1\r\n", "\r\n"));
            assertEquals("CLIENT_ERROR invalid exptime argument\r\n", raw.call("touch keep x\r\n", "\r\n"));
            assertEquals("CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n",
                    raw.call("delete keep 10\r\n", "\r\n"));
            assertEquals("CLIENT_ERROR invalid exptime argument\r\n", raw.call("flush_all soon\r\n", "\r\n"));
            assertEquals("VALUE keep 0 4\r\nkeep\r\nEND\r\n", raw.call("get keep\r\n", "END\r\n"), "the other entry is intact");
            assertEquals("NOT_FOUND\r\n", raw.call("delete k\r\n", "\r\n"), "no malformed set stored anything");
        }
    }

    @Test
    void aValueAboveTheItemLimitIsReadAndDropped() throws Exception {
        try (ServerFixture f = new ServerFixture(); TextExchange raw = f.raw()) {
            assertEquals("STORED\r\n", raw.call("set big 0 0 3\r\nold\r\n", "\r\n"));
            int size = 2 << 20; // above the 1 MiB item limit
            raw.send(("set big 0 0 " + size + "\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] value = new byte[size];
            java.util.Arrays.fill(value, (byte) 'g'); // "get big" inside it must not run as a command
            byte[] command = "\r\nget big\r\n".getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(command, 0, value, 1000, command.length);
            raw.send(value);
            raw.send("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("SERVER_ERROR object too large for cache\r\n", raw.readUntil("\r\n"));
            assertEquals("END\r\n", raw.call("get big\r\n", "END\r\n"), "a failed set leaves no stale value, as memcached");
            assertEquals("STORED\r\n", raw.call("set after 0 0 2\r\nok\r\n", "\r\n"), "the bytes were skipped exactly");
            assertEquals(1, f.store().stats.tooLarge.sum());
        }
    }

    @Test
    void aLineLongerThanTheLimitIsRefusedAndTheConnectionClosed() throws Exception {
        try (ServerFixture f = new ServerFixture()) {
            try (TextExchange raw = f.raw()) {
                raw.send(("set " + "x".repeat(MemcachedConnection.MAX_LINE + 10)).getBytes(StandardCharsets.US_ASCII));
                assertEquals("CLIENT_ERROR line too long\r\n", raw.readUntil("\r\n"));
                assertTrue(raw.closedByServer());
            }
            try (TextExchange raw = f.raw()) { // a long multi-get is no such line: it is served
                StringBuilder get = new StringBuilder("get");
                for (int i = 0; i < 400; i++) {
                    get.append(" key-number-").append(i);
                }
                assertTrue(get.length() > MemcachedConnection.MAX_LINE);
                assertEquals("STORED\r\n", raw.call("set key-number-399 0 0 1\r\nz\r\n", "\r\n"));
                assertEquals("VALUE key-number-399 0 1\r\nz\r\nEND\r\n", raw.call(get + "\r\n", "END\r\n"));
            }
        }
    }

    @Test
    void aMultiGetLongerThanTheLineBufferIsServedAsItArrives() throws Exception {
        try (ServerFixture f = new ServerFixture(); TextExchange raw = f.raw()) {
            StringBuilder gats = new StringBuilder("gats 100");
            for (int i = 0; i < 2_000; i++) { // about 30 KB of keys, fifteen times the line buffer
                String key = "key-number-" + i;
                gats.append(' ').append(key);
                if (i % 100 == 0) {
                    assertEquals("STORED\r\n", raw.call("set " + key + " 0 0 2\r\nv" + (i % 10) + "\r\n", "\r\n"));
                }
            }
            String reply = raw.call(gats + "\r\n", "END\r\n");
            for (int i = 0; i < 2_000; i += 100) {
                assertTrue(reply.matches("(?s).*VALUE key-number-" + i + " 0 2 \\d+\r\nv" + (i % 10) + "\r\n.*"), "key " + i);
            }
            assertEquals(20, reply.split("VALUE ").length - 1, "each stored key once, in one reply");
            // a key too long for any key, cut across the buffer: an error, and the rest of the line is dropped
            String bad = "get a " + "z".repeat(3 * MemcachedConnection.MAX_LINE) + " b\r\n";
            assertEquals("CLIENT_ERROR bad command line format\r\n", raw.call(bad, "\r\n"));
            assertEquals("VALUE key-number-0 0 2\r\nv0\r\nEND\r\n", raw.call("get key-number-0\r\n", "END\r\n"),
                    "the connection carries on with the next line");
        }
    }

    @Test
    void aClientGoneMidValueGivesItsBlockBack() throws Exception {
        try (ServerFixture f = new ServerFixture()) {
            try (TextExchange raw = f.raw()) {
                raw.send("set half 0 0 100000\r\n".getBytes(StandardCharsets.US_ASCII));
                raw.send(new byte[40_000]);
                ServerFixture.eventually("the value's block is allocated while it arrives", () -> f.store().heldBlocks() == 1);
            }
            ServerFixture.eventually("the block goes back when the client goes", () -> f.store().heldBlocks() == 0);
            assertEquals(0, f.store().currItems());
        }
    }

    @Test
    void binaryGarbageNeverCrashesOrCorrupts() throws Exception {
        try (ServerFixture f = new ServerFixture()) {
            try (TextExchange raw = f.raw()) {
                assertEquals("STORED\r\n", raw.call("set keep 0 0 4\r\nkeep\r\n", "\r\n"));
            }
            Random random = new Random(7);
            for (int round = 0; round < 20; round++) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", f.port()));
                    byte[] garbage = new byte[1 + random.nextInt(20_000)];
                    random.nextBytes(garbage);
                    if (round % 2 == 0) {
                        garbage[0] = (byte) 0x80; // the binary protocol's request magic
                    }
                    s.getOutputStream().write(garbage);
                    s.getOutputStream().flush();
                }
            }
            try (TextExchange raw = f.raw()) {
                assertEquals("VALUE keep 0 4\r\nkeep\r\nEND\r\n", raw.call("get keep\r\n", "END\r\n"));
            }
        }
    }

    @Test
    void thousandsOfIdleConnectionsAreHeldAndTheServerStillAnswers() throws Exception {
        try (ServerFixture f = new ServerFixture()) {
            List<Socket> idle = new ArrayList<>();
            try {
                for (int i = 0; i < 2_000; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", f.port()));
                    idle.add(s);
                }
                ServerFixture.eventually("2000 connections are open",
                        () -> f.store().stats.currConnections.sum() == 2_000);
                try (TextExchange raw = f.raw()) {
                    assertEquals("STORED\r\n", raw.call("set k 0 0 1\r\nx\r\n", "\r\n"));
                    assertTrue(raw.call("stats\r\n", "END\r\n").contains("STAT curr_connections 2001\r\n"));
                }
                assertEquals(1, f.store().heldBlocks(), "idle connections hold no off-heap memory");
            } finally {
                for (Socket s : idle) {
                    s.close();
                }
            }
            ServerFixture.eventually("every connection is closed", () -> f.store().stats.currConnections.sum() == 0);
        }
    }
}
