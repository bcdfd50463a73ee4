package dev.offheap.examples.memcached;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A raw text-protocol connection for what the Java clients do not send (xmemcached sends
 * {@code gat} only in the binary protocol) and for malformed input: write bytes, read until a
 * reply ends.
 *
 * <p>Thread-safety: not thread-safe; one per thread.
 */
final class TextExchange implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    TextExchange(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Sends {@code request} and reads until the reply ends with {@code terminator}. */
    String call(String request, String terminator) throws IOException {
        send(request.getBytes(StandardCharsets.ISO_8859_1));
        return readUntil(terminator);
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    String readUntil(String terminator) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (!got.toString(StandardCharsets.ISO_8859_1).endsWith(terminator)) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before the reply ended: got=" + got.toString(StandardCharsets.ISO_8859_1));
            }
            got.write(b);
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    /** {@return whether the server closed the connection (end of stream within the read timeout)} */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException reset) {
            return true;
        }
    }

    Socket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
