package dev.offheap.examples.cache;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * An HTTP front for an {@link OffHeapCache}, bound to the loopback interface:
 * <ul>
 *   <li>{@code PUT /cache/{key}} stores the request body (201), {@code 507} when off-heap memory is
 *       exhausted;</li>
 *   <li>{@code GET /cache/{key}} returns it (200) or 404;</li>
 *   <li>{@code DELETE /cache/{key}} removes it (204) or 404;</li>
 *   <li>{@code GET /metrics} returns the Prometheus scrape text.</li>
 * </ul>
 *
 * <p>Thread-safety: requests are served by a fixed pool of threads; the cache is thread-safe.
 */
public final class CacheServer implements AutoCloseable {
    private static final String CACHE_PATH = "/cache/";

    private final HttpServer server;
    private final ExecutorService workers;
    private final OffHeapCache cache;
    private final Supplier<String> scrape;

    /**
     * Starts serving.
     *
     * @param cache the cache to serve
     * @param scrape the Prometheus scrape text, produced per request
     * @param port the loopback port, 0 for any free one
     * @param threads request threads
     * @throws IOException if the port cannot be bound
     */
    public CacheServer(OffHeapCache cache, Supplier<String> scrape, int port, int threads) throws IOException {
        this.cache = cache;
        this.scrape = scrape;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
        this.workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "cache-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(workers);
        server.createContext(CACHE_PATH, this::serveCache);
        server.createContext("/metrics", this::serveMetrics);
        server.start();
    }

    /** {@return the port the server listens on} */
    public int port() {
        return server.getAddress().getPort();
    }

    private void serveCache(HttpExchange exchange) throws IOException {
        try (exchange) {
            String key = exchange.getRequestURI().getPath().substring(CACHE_PATH.length());
            if (key.isEmpty()) {
                reply(exchange, 400, "key missing");
                return;
            }
            switch (exchange.getRequestMethod()) {
                case "PUT" -> {
                    byte[] body;
                    try (InputStream in = exchange.getRequestBody()) {
                        body = in.readAllBytes();
                    }
                    try {
                        cache.put(key, body);
                        reply(exchange, 201, null);
                    } catch (dev.offheap.allocator.OutOfOffHeapMemoryException full) {
                        reply(exchange, 507, full.getMessage());
                    } catch (IllegalArgumentException tooLarge) {
                        reply(exchange, 413, tooLarge.getMessage());
                    }
                }
                case "GET" -> {
                    byte[] value = cache.get(key);
                    if (value == null) {
                        reply(exchange, 404, "no such key");
                    } else {
                        exchange.sendResponseHeaders(200, value.length == 0 ? -1 : value.length);
                        try (OutputStream out = exchange.getResponseBody()) {
                            out.write(value);
                        }
                    }
                }
                case "DELETE" -> {
                    if (cache.remove(key)) {
                        exchange.sendResponseHeaders(204, -1);
                    } else {
                        reply(exchange, 404, "no such key");
                    }
                }
                default -> reply(exchange, 405, "method not allowed");
            }
        }
    }

    private void serveMetrics(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            reply(exchange, 200, scrape.get());
        }
    }

    private static void reply(HttpExchange exchange, int status, String text) throws IOException {
        if (text == null) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops accepting requests, lets requests in flight finish for up to a second. */
    @Override
    public void close() {
        server.stop(1);
        workers.shutdownNow();
    }
}
