package dev.offheap.examples.memcached;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /metrics}: the registry's scrape in Prometheus' text format, on the JDK's HTTP server
 * (one thread: a scrape is small and rare).
 *
 * <p>Thread-safety: thread-safe.
 */
final class MetricsEndpoint implements AutoCloseable {
    private final HttpServer http;

    MetricsEndpoint(PrometheusMeterRegistry registry, String host, int port) throws IOException {
        http = HttpServer.create(new InetSocketAddress(host, port), 16);
        http.createContext("/metrics", exchange -> {
            try (exchange) {
                byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(body);
                }
            }
        });
        http.start();
    }

    int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
