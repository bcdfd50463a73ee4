package dev.offheap.bench.harness;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.bench.SizeTable;
import dev.offheap.bench.library.LibraryHooks;

import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Why off-heap: a cache-like service holding a large live set, once with its values as
 * {@code byte[]} in a {@code HashMap<Integer, byte[]>} ({@code heap}) and once with them in this
 * library ({@code HashMap<Integer, Long>} of handles: the map itself stays on the heap in both), on
 * the same JVM flags (G1, the same {@code -Xmx}). Each fills {@code --live-mib} of values of random
 * sizes (256 B to 4 KiB, log-uniform, fixed seed), then for {@code --seconds} replaces random
 * values at a fixed rate ({@code --rate} per second, with 128 B of request garbage per operation in
 * both), as a cache under write load would. GC pauses come from the {@code GarbageCollectorMXBean}
 * notifications (the concurrent collector's bean is left out: its durations are not pauses); used
 * heap is sampled every {@value #SAMPLE_MS} ms. Figures cover the replace phase; the series cover
 * the whole run, for the report's chart.
 *
 * <p>Usage: {@code GcPauseMain [--out DIR] [--live-mib 512] [--seconds 15] [--rate 100000]};
 * writes {@code harness-gc-pauses.json}. The parent is single-threaded; the child samples on a
 * daemon thread and receives notifications on the JMX thread (lists guarded by {@code this}).
 */
public final class GcPauseMain {
    static final long SAMPLE_MS = 100;
    static final long SEED = 0x5EED_0021L;

    private final List<Double> heapSeconds = new ArrayList<>();
    private final List<Double> heapMib = new ArrayList<>();
    private final List<Double> pauseSeconds = new ArrayList<>();
    private final List<Double> pauseMs = new ArrayList<>();
    private final long startMillis = ManagementFactory.getRuntimeMXBean().getUptime();
    private final long startNanos = System.nanoTime();

    private GcPauseMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Harnesses.options(args, "out", "live-mib", "seconds", "rate", "peer");
        long liveMib = Long.parseLong(o.getOrDefault("live-mib", "512"));
        int seconds = Integer.parseInt(o.getOrDefault("seconds", "15"));
        int rate = Integer.parseInt(o.getOrDefault("rate", "100000"));
        if (o.containsKey("peer")) {
            ChildJvm.emit(new GcPauseMain().run(o.get("peer"), liveMib << 20, seconds, rate));
            return;
        }
        long heapMib = 2 * liveMib + 512;
        HarnessReport report = HarnessReport.of("gc-pauses", liveMib + " MiB of values (256 B-4 KiB) in a HashMap, "
                + "on the heap (byte[]) vs in the library (handles), replaced at " + rate + "/s for " + seconds
                + " s; G1, -Xmx" + heapMib + "m, one JVM each");
        for (String peer : List.of("heap", Harnesses.LIBRARY)) {
            report.addChild(peer, ChildJvm.run(GcPauseMain.class, List.of("-XX:+UseG1GC", "-Xms" + heapMib + "m",
                    "-Xmx" + heapMib + "m"), List.of("--peer", peer, "--live-mib", Long.toString(liveMib),
                    "--seconds", Integer.toString(seconds), "--rate", Integer.toString(rate)), 900));
        }
        System.out.println("wrote " + report.write(Harnesses.out(o)));
    }

    private double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private HarnessReport run(String peer, long liveTarget, int seconds, int rate) throws Exception {
        NotificationListener listener = (notification, handback) -> {
            if (!notification.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                return;
            }
            var info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
            if (info.getGcName().contains("Concurrent")) {
                return; // concurrent cycles run beside the application: not pauses
            }
            synchronized (this) {
                pauseSeconds.add((info.getGcInfo().getStartTime() - startMillis) / 1000.0);
                pauseMs.add((double) info.getGcInfo().getDuration());
            }
        };
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) gc).addNotificationListener(listener, null, null);
        }
        var memoryBean = ManagementFactory.getMemoryMXBean();
        Thread sampler = Thread.ofPlatform().daemon().name("heap-sampler").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                double mib = memoryBean.getHeapMemoryUsage().getUsed() / 1048576.0;
                synchronized (this) {
                    heapSeconds.add(elapsedSeconds());
                    heapMib.add(mib);
                }
                try {
                    Thread.sleep(SAMPLE_MS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        Store store = peer.equals("heap") ? new HeapStore() : new OffHeapStore();
        HarnessReport r = HarnessReport.of("gc-pauses", null);
        try (store) {
            SizeTable sizes = new SizeTable(256, 4096, SEED);
            SplittableRandom random = new SplittableRandom(SEED);
            int keys = 0;
            for (long live = 0; live < liveTarget; keys++) {
                long size = sizes.next();
                store.put(keys, size);
                live += size;
            }
            double replaceStart = elapsedSeconds();
            int pausesBefore;
            synchronized (this) {
                pausesBefore = pauseMs.size();
            }
            long ops = 0;
            long sink = 0;
            long perTick = Math.max(1, rate / 1000);
            long tick = System.nanoTime();
            long end = tick + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end) {
                for (int i = 0; i < perTick; i++) {
                    byte[] request = new byte[128]; // the request's own short-lived garbage, in both stores
                    request[random.nextInt(128)] = 1;
                    sink += request[0];
                    store.put(random.nextInt(keys), sizes.next());
                    ops++;
                }
                tick += 1_000_000;
                long wait = tick - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
            double replaceSeconds = elapsedSeconds() - replaceStart;
            sampler.interrupt();
            sampler.join();
            synchronized (this) {
                List<Double> pauses = pauseMs.subList(pausesBefore, pauseMs.size());
                r.add(peer, "entries", keys, "count");
                r.add(peer, "replace.ops/s", ops / replaceSeconds, "ops/s");
                r.add(peer, "replace.pauses", pauses.size(), "count");
                r.add(peer, "replace.pause.total.ms", pauses.stream().mapToDouble(Double::doubleValue).sum(), "ms");
                r.add(peer, "replace.pause.max.ms", pauses.stream().mapToDouble(Double::doubleValue).max().orElse(0), "ms");
                r.add(peer, "replace.pause.share", pauses.stream().mapToDouble(Double::doubleValue).sum()
                        / (replaceSeconds * 1000), "ratio");
                r.add(peer, "heap.used.max.mib", heapMib.stream().mapToDouble(Double::doubleValue).max().orElse(0), "MiB");
                r.add(peer, "offheap.committed.mib", store.committedBytes() / 1048576.0, "MiB");
                r.series().add(new HarnessReport.TimeSeries(peer, "heap.used.mib", List.copyOf(heapSeconds),
                        List.copyOf(heapMib)));
                r.series().add(new HarnessReport.TimeSeries(peer, "gc.pause.ms", List.copyOf(pauseSeconds),
                        List.copyOf(pauseMs)));
                r.add(peer, "replace.start.s", replaceStart, "s");
            }
            if (sink == Long.MIN_VALUE) {
                System.out.println(sink); // keeps the request writes alive
            }
        }
        return r;
    }

    /** The service's value store: one value per key, replaced in place. Single-threaded. */
    private interface Store extends AutoCloseable {
        /** Sets the value of {@code key} to a new value of {@code size} bytes, written first and last byte. */
        void put(int key, long size);

        /** {@return off-heap bytes committed for the values; 0 on the heap} */
        long committedBytes();

        @Override
        void close();
    }

    private static final class HeapStore implements Store {
        private final Map<Integer, byte[]> values = new HashMap<>();

        @Override
        public void put(int key, long size) {
            byte[] value = new byte[(int) size];
            value[0] = 1;
            value[value.length - 1] = 1;
            values.put(key, value);
        }

        @Override
        public long committedBytes() {
            return 0;
        }

        @Override
        public void close() {
            values.clear();
        }
    }

    private static final class OffHeapStore implements Store {
        private final OffHeap memory = OffHeap.builder().name("gc-pauses").build();
        private final Map<Integer, Long> values = new HashMap<>();

        @Override
        public void put(int key, long size) {
            long handle = memory.allocate(size);
            LibraryHooks.writeFirstLast(memory, handle, size);
            Long old = values.put(key, handle);
            if (old != null) {
                memory.free(old);
            }
        }

        @Override
        public long committedBytes() {
            return LibraryHooks.committedBytes(memory);
        }

        @Override
        public void close() {
            memory.close();
        }
    }
}
