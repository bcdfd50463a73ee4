package dev.offheap.examples.cache;

import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.metrics.micrometer.OffHeapMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The example service under a real HTTP client, on loopback. */
class CacheServiceTest {

    @Test
    void everyAnswerIsRightUnderLoadAndNothingIsLeftAfterClear() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (OffHeap memory = OffHeap.builder().name("cache-test").reserve(1L << 30).limit(64L << 20).build()) {
            new OffHeapMetrics(memory).bindTo(registry);
            OffHeapCache cache = new OffHeapCache(memory);
            try (CacheServer server = new CacheServer(cache, registry::scrape, 0, 4)) {
                LoadClient.Summary summary = new LoadClient(server.port())
                        .run(2, Duration.ofSeconds(2), 200, 128 * 1024, 7);
                assertTrue(summary.requests() > 20, "requests=" + summary.requests());
                assertEquals(0, summary.errors());
                assertEquals(0, summary.wrongAnswers());
                assertEquals(cache.size(), memory.snapshot().liveBlocks(), "one block per value held");

                HttpResponse<String> scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, scrape.statusCode());
                assertTrue(scrape.body().contains("offheap_blocks_live{kind=\"offheap\",name=\"cache-test\"} "
                        + (double) cache.size()), "the scrape reports the live blocks");

                cache.clear();
                assertEquals(0, memory.snapshot().liveBlocks());
                assertEquals(0, memory.snapshot().leaks());
            }
        }
    }

    @Test
    void aValueBeyondTheLimitIsRefusedWith507AndTheServiceKeepsServing() throws Exception {
        try (OffHeap memory = OffHeap.builder().name("tiny").reserve(1L << 30).limit(4L << 20).build()) {
            OffHeapCache cache = new OffHeapCache(memory);
            try (CacheServer server = new CacheServer(cache, () -> "", 0, 2)) {
                HttpClient http = HttpClient.newHttpClient();
                URI big = URI.create("http://127.0.0.1:" + server.port() + "/cache/big");
                HttpResponse<String> refused = http.send(HttpRequest.newBuilder(big)
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[6 << 20])).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(507, refused.statusCode());
                assertTrue(refused.body().startsWith("out of off-heap memory"), refused.body());
                URI small = URI.create("http://127.0.0.1:" + server.port() + "/cache/small");
                assertEquals(201, http.send(HttpRequest.newBuilder(small).PUT(HttpRequest.BodyPublishers.ofString("hello"))
                        .build(), HttpResponse.BodyHandlers.discarding()).statusCode());
                assertEquals("hello", http.send(HttpRequest.newBuilder(small).build(), HttpResponse.BodyHandlers.ofString()).body());
                cache.clear();
            }
        }
    }
}
