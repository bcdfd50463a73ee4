package dev.offheap.examples.cache;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP client that drives a {@link CacheServer} with a mix of PUT, GET and DELETE for a
 * bounded time and checks every GET against what it stored: the summary counts requests, errors
 * and wrong answers, and gives latency percentiles.
 *
 * <p>Each client thread owns its own keys, so it knows what every GET must return.
 *
 * <p>Thread-safety: one {@link #run} at a time.
 */
public final class LoadClient {
    /**
     * What a run measured.
     *
     * @param requests requests completed
     * @param errors requests that failed (I/O or an unexpected status)
     * @param wrongAnswers GETs that returned other bytes than the client stored
     * @param p50Micros median latency in microseconds
     * @param p99Micros 99th percentile in microseconds
     * @param p999Micros 99.9th percentile in microseconds
     */
    public record Summary(long requests, long errors, long wrongAnswers, double p50Micros, double p99Micros,
                          double p999Micros) {
    }

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** @param port the loopback port of the server */
    public LoadClient(int port) {
        this.base = URI.create("http://127.0.0.1:" + port + "/cache/");
    }

    /**
     * Runs the load.
     *
     * @param threads client threads
     * @param duration how long to send requests
     * @param keysPerThread distinct keys per thread
     * @param maxValueBytes values are 1 B to 1 KiB nine times in ten, else 1 B to this many bytes
     * @param seed makes runs repeatable
     * @return what was measured
     */
    public Summary run(int threads, Duration duration, int keysPerThread, int maxValueBytes, long seed)
            throws InterruptedException {
        long deadline = System.nanoTime() + duration.toNanos();
        AtomicLong errors = new AtomicLong();
        AtomicLong wrong = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            Future<long[]>[] results = new Future[threads];
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results[t] = pool.submit(() -> drive(thread, deadline, keysPerThread, maxValueBytes,
                        new SplittableRandom(seed + thread), errors, wrong));
            }
            long[] all = new long[0];
            for (Future<long[]> f : results) {
                long[] mine = f.get();
                long[] merged = Arrays.copyOf(all, all.length + mine.length);
                System.arraycopy(mine, 0, merged, all.length, mine.length);
                all = merged;
            }
            Arrays.sort(all);
            return new Summary(all.length, errors.get(), wrong.get(), percentile(all, 0.50),
                    percentile(all, 0.99), percentile(all, 0.999));
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("client thread failed", e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private long[] drive(int thread, long deadline, int keys, int maxValueBytes, SplittableRandom random,
                         AtomicLong errors, AtomicLong wrong) {
        ConcurrentHashMap<String, byte[]> expected = new ConcurrentHashMap<>();
        long[] latencies = new long[1 << 16];
        int n = 0;
        while (System.nanoTime() < deadline) {
            String key = "t" + thread + "-k" + random.nextInt(keys);
            int op = random.nextInt(10);
            long start = System.nanoTime();
            try {
                if (op < 4) {
                    int length = 1 + random.nextInt(random.nextInt(10) == 0 ? maxValueBytes : 1024);
                    byte[] value = new byte[length];
                    random.nextBytes(value);
                    HttpResponse<Void> r = http.send(HttpRequest.newBuilder(base.resolve(key))
                            .PUT(HttpRequest.BodyPublishers.ofByteArray(value)).build(), HttpResponse.BodyHandlers.discarding());
                    if (r.statusCode() == 201) {
                        expected.put(key, value);
                    } else {
                        errors.incrementAndGet();
                    }
                } else if (op < 9) {
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(base.resolve(key)).GET().build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    byte[] want = expected.get(key);
                    boolean ok = want == null ? r.statusCode() == 404 : r.statusCode() == 200 && Arrays.equals(want, r.body());
                    if (!ok) {
                        wrong.incrementAndGet();
                    }
                } else {
                    HttpResponse<Void> r = http.send(HttpRequest.newBuilder(base.resolve(key)).DELETE().build(),
                            HttpResponse.BodyHandlers.discarding());
                    boolean had = expected.remove(key) != null;
                    if (r.statusCode() != (had ? 204 : 404)) {
                        wrong.incrementAndGet();
                    }
                }
            } catch (IOException e) {
                errors.incrementAndGet();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (n == latencies.length) {
                latencies = Arrays.copyOf(latencies, n * 2);
            }
            latencies[n++] = System.nanoTime() - start;
        }
        return Arrays.copyOf(latencies, n);
    }

    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1000.0;
    }
}
