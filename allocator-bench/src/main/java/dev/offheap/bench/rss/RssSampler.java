package dev.offheap.bench.rss;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Samples the process's resident memory ({@code VmRSS}) on a daemon thread every
 * {@value #PERIOD_MS} ms, and notes when the scenario's phases begin.
 *
 * <p>Thread-safety: {@link #phase(String)} and {@link #stop()} are called by the scenario's thread;
 * the lists are guarded by {@code this}.
 */
final class RssSampler {
    /** Milliseconds between two samples. */
    static final long PERIOD_MS = 100;

    private final long startNanos = System.nanoTime();
    private final List<Long> millis = new ArrayList<>();
    private final List<Double> rssMib = new ArrayList<>();
    private final List<RssTimeline.Phase> phases = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    /** Starts sampling now. */
    RssSampler() {
        thread = Thread.ofPlatform().daemon().name("rss-sampler").start(this::run);
    }

    private void run() {
        long next = System.nanoTime();
        while (running) {
            sample();
            next += TimeUnit.MILLISECONDS.toNanos(PERIOD_MS);
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void sample() {
        try {
            long bytes = RssAfterChurnMain.residentBytes();
            synchronized (this) {
                millis.add(elapsedMillis());
                rssMib.add(bytes / 1048576.0);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read VmRSS", e);
        }
    }

    private long elapsedMillis() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** Notes that phase {@code name} begins now, with a sample at the boundary. */
    void phase(String name) {
        synchronized (this) {
            phases.add(new RssTimeline.Phase(name, elapsedMillis()));
        }
        sample();
    }

    /** Stops sampling, takes a last sample, and returns the series. */
    RssTimeline stop() throws InterruptedException {
        running = false;
        thread.join();
        sample();
        synchronized (this) {
            return new RssTimeline(null, List.copyOf(millis), List.copyOf(rssMib), List.copyOf(phases));
        }
    }
}
