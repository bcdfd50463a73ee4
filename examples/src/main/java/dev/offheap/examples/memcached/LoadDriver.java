package dev.offheap.examples.memcached;

import net.rubyeye.xmemcached.MemcachedClient;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Drives a server with a real memcached client from several threads: a get/set mix over a key
 * space larger than the memory limit (so eviction runs), a multi-get now and then, every value
 * read back checked ({@link ValueCodec}), every operation's latency recorded.
 *
 * <p>Thread-safety: one {@link #run} at a time.
 */
final class LoadDriver {
    /** What one run measured. */
    record Result(long operations, long gets, long hits, long sets, long wrongAnswers, long errors,
                  Duration elapsed, Histogram latencyNanos) {
        double opsPerSecond() {
            return operations / (elapsed.toNanos() / 1e9);
        }
    }

    private final MemcachedClient client;
    private final int keys;
    private final int minValueBytes;
    private final int maxValueBytes;
    private final int deletePercent;

    LoadDriver(MemcachedClient client, int keys, int minValueBytes, int maxValueBytes) {
        this(client, keys, minValueBytes, maxValueBytes, 0);
    }

    /** As the other constructor, with {@code deletePercent} % of operations deletes (taken from the gets). */
    LoadDriver(MemcachedClient client, int keys, int minValueBytes, int maxValueBytes, int deletePercent) {
        this.client = client;
        this.keys = keys;
        this.minValueBytes = minValueBytes;
        this.maxValueBytes = maxValueBytes;
        this.deletePercent = deletePercent;
    }

    /**
     * Sets every key once, without waiting for replies ({@code noreply}), so the timed run starts
     * on a full cache; with more data than the limit, eviction runs here already.
     */
    void fill(long seed) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        for (int k = 0; k < keys; k++) {
            client.setWithNoReply(key(k), 0, ValueCodec.encode(k, 0, minValueBytes + random.nextInt(maxValueBytes - minValueBytes + 1)));
        }
        client.get(key(0)); // a round trip after the last set
    }

    Result run(int threads, Duration duration, long seed) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long start = System.nanoTime();
            long deadline = start + duration.toNanos();
            List<Future<long[]>> futures = new ArrayList<>();
            List<Histogram> histograms = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Histogram h = new Histogram(3_600_000_000_000L, 3);
                histograms.add(h);
                SplittableRandom random = new SplittableRandom(seed + t);
                int version = t << 24;
                futures.add(pool.submit(() -> work(random, version, deadline, h)));
            }
            long[] sum = new long[6];
            for (Future<long[]> f : futures) {
                long[] r = f.get();
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += r[i];
                }
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            Histogram all = new Histogram(3_600_000_000_000L, 3);
            histograms.forEach(all::add);
            return new Result(sum[0], sum[1], sum[2], sum[3], sum[4], sum[5], elapsed, all);
        } finally {
            pool.shutdownNow();
        }
    }

    /** {@return operations, gets, hits, sets, wrong answers, errors} */
    private long[] work(SplittableRandom random, int firstVersion, long deadline, Histogram latency) {
        long ops = 0, gets = 0, hits = 0, sets = 0, wrong = 0, errors = 0;
        int version = firstVersion;
        while (System.nanoTime() < deadline) {
            int op = random.nextInt(100);
            long t0 = System.nanoTime();
            try {
                if (op < 10) { // set
                    int k = random.nextInt(keys);
                    byte[] value = ValueCodec.encode(k, version++, minValueBytes + random.nextInt(maxValueBytes - minValueBytes + 1));
                    if (!client.set(key(k), 0, value)) {
                        wrong++;
                    }
                    sets++;
                } else if (op < 12) { // multi-get of 10 keys
                    List<String> batch = new ArrayList<>(10);
                    for (int i = 0; i < 10; i++) {
                        batch.add(key(random.nextInt(keys)));
                    }
                    Map<String, byte[]> found = client.get(batch);
                    gets += batch.size();
                    for (Map.Entry<String, byte[]> e : found.entrySet()) {
                        hits++;
                        if (!ValueCodec.check(index(e.getKey()), e.getValue())) {
                            wrong++;
                        }
                    }
                } else if (op < 12 + deletePercent) { // delete: either answer is right, the key may be gone already
                    client.delete(key(random.nextInt(keys)));
                } else { // get
                    int k = random.nextInt(keys);
                    byte[] value = client.get(key(k));
                    gets++;
                    if (value != null) {
                        hits++;
                        if (!ValueCodec.check(k, value)) {
                            wrong++;
                        }
                    }
                }
            } catch (Exception e) {
                errors++;
            }
            latency.recordValue(Math.max(1, System.nanoTime() - t0));
            ops++;
        }
        return new long[] {ops, gets, hits, sets, wrong, errors};
    }

    static String key(int index) {
        return "load:" + index;
    }

    private static int index(String key) {
        return Integer.parseInt(key.substring("load:".length()));
    }
}
