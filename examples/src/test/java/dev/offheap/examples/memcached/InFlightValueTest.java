package dev.offheap.examples.memcached;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A value is sent as a view of its off-heap block, so a block freed while a reply still points
 * into it would send whatever is allocated there next. Here the item is deleted and its memory
 * churned while dozens of replies that send it wait in a client's full socket: each must arrive
 * as it was.
 */
@Timeout(120)
class InFlightValueTest {

    @Test
    void aDeletedItemKeepsItsBlockUntilEveryReplySendingItIsWritten() throws Exception {
        int size = 256 * 1024;
        int replies = 40;
        byte[] original = new byte[size];
        Arrays.fill(original, (byte) 'A');
        try (ServerFixture f = new ServerFixture(); TextExchange writer = f.raw(); Socket slow = new Socket()) {
            writer.send(("set big 0 0 " + size + "\r\n").getBytes(StandardCharsets.US_ASCII));
            writer.send(original);
            assertEquals("STORED\r\n", writer.call("\r\n", "\r\n"));

            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", f.port()));
            slow.getOutputStream().write("get big\r\n".repeat(replies).getBytes(StandardCharsets.US_ASCII));
            slow.getOutputStream().flush(); // and read nothing yet: the replies queue in the server

            ServerFixture.eventually("the server has read the gets", () -> f.store().stats.getHits.sum() == replies);
            assertEquals("DELETED\r\n", writer.call("delete big\r\n", "\r\n"));
            assertEquals(0, f.store().currItems());
            assertEquals(1, f.store().heldBlocks(), "the deleted item's block is held by the replies in flight");

            byte[] other = new byte[size];
            Arrays.fill(other, (byte) 'B');
            for (int i = 0; i < 20; i++) { // what would land in the freed block if it had been freed
                writer.send(("set other" + i + " 0 0 " + size + "\r\n").getBytes(StandardCharsets.US_ASCII));
                writer.send(other);
                assertEquals("STORED\r\n", writer.call("\r\n", "\r\n"));
            }

            DataInputStream in = new DataInputStream(slow.getInputStream());
            String header = "VALUE big 0 " + size + "\r\n";
            for (int r = 0; r < replies; r++) {
                byte[] head = new byte[header.length()];
                in.readFully(head);
                assertEquals(header, new String(head, StandardCharsets.US_ASCII), "reply " + r);
                byte[] value = new byte[size];
                in.readFully(value);
                assertArrayEquals(original, value, "reply " + r + " sent the value as it was stored");
                byte[] end = new byte["\r\nEND\r\n".length()];
                in.readFully(end);
                assertEquals("\r\nEND\r\n", new String(end, StandardCharsets.US_ASCII));
            }
            ServerFixture.eventually("the block goes once the last reply is written", () -> f.store().heldBlocks() == 20);
            assertTrue(f.store().currItems() == 20);
        }
    }
}
