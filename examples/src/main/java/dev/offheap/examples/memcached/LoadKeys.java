package dev.offheap.examples.memcached;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Loads the same data into any memcached-compatible server, for comparing what each keeps
 * resident per item: {@code --keys N} keys {@code key:0 .. key:N-1}, each with a value of
 * {@code --value-bytes B} bytes, set with {@code noreply} on one pipelined connection; then it
 * prints the server's {@code curr_items}.
 *
 * <p>Usage: {@code LoadKeys --port P [--keys 200000] [--value-bytes 512]}.
 */
public final class LoadKeys {
    private LoadKeys() {
    }

    public static void main(String[] args) throws IOException {
        int port = -1;
        int keys = 200_000;
        int valueBytes = 512;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--keys" -> keys = Integer.parseInt(args[++i]);
                case "--value-bytes" -> valueBytes = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option: " + args[i]
                        + " (options: --port P, --keys N, --value-bytes B)");
            }
        }
        byte[] value = new byte[valueBytes];
        Arrays.fill(value, (byte) 'x');
        try (TextExchange raw = new TextExchange(port)) {
            OutputStream out = new BufferedOutputStream(raw.socket().getOutputStream(), 1 << 16);
            for (int k = 0; k < keys; k++) {
                out.write(("set key:" + k + " 0 0 " + valueBytes + " noreply\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(value);
                out.write('\r');
                out.write('\n');
            }
            out.flush();
            raw.call("version\r\n", "\r\n"); // every set before it has been read
            String stats = raw.call("stats\r\n", "END\r\n");
            String items = stats.lines().filter(l -> l.startsWith("STAT curr_items ")).findFirst().orElse("STAT curr_items -1");
            System.out.println(items.substring("STAT curr_items ".length()));
        }
    }
}
