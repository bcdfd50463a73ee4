package dev.offheap.allocator.region;

import dev.offheap.allocator.OutOfOffHeapMemoryException;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * TEST ONLY: bodies that could crash a JVM or that need a JVM of their own, run by
 * {@link dev.offheap.allocator.testing.ForkedJvm} from {@link RegionForkedTest}. Each prints what
 * it saw and exits 0 when every check held, 2 when one did not (a crash exits otherwise).
 */
public final class RegionChildMains {
    private static final long MiB = 1L << 20;

    private RegionChildMains() {
    }

    public static void main(String[] args) throws Exception {
        boolean ok = switch (args[0]) {
            case "close-races" -> closeRaces(Integer.parseInt(args[1]), Boolean.parseBoolean(args[2]));
            case "committer-stops" -> committerStopsAtClose();
            default -> throw new IllegalArgumentException("unknown body: " + args[0]);
        };
        System.out.println(ok ? "RESULT ok" : "RESULT failed");
        System.exit(ok ? 0 : 2);
    }

    /**
     * {@code threads} threads acquire, write through, purge and release spans while the main thread
     * closes the region under them. Each must end on the region's own "closed" message from
     * {@code acquire}, having met only IllegalStateExceptions (and refusals for lack of room) on the
     * way: never a crash.
     */
    private static boolean closeRaces(int threads, boolean commitAhead) throws InterruptedException {
        String name = "racing";
        Region region = Region.builder().name(name).reserve(64 * MiB).commitAhead(commitAhead ? 2 * MiB : 0)
                .decay(Duration.ofMillis(5)).build();
        String closedMessage = "region is closed: region=" + name;
        long page = region.pageSize();
        AtomicLong operations = new AtomicLong();
        List<String> endings = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch started = new CountDownLatch(threads);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().name("racer-" + t).start(() -> {
                started.countDown();
                while (true) {
                    Span span;
                    try {
                        span = region.acquire(MiB);
                    } catch (IllegalStateException e) {
                        endings.add(e.getMessage());
                        return;
                    } catch (OutOfOffHeapMemoryException e) {
                        continue;
                    }
                    try {
                        span.segment().set(ValueLayout.JAVA_LONG, 0, 42L);
                        span.segment().set(ValueLayout.JAVA_LONG, span.byteSize() - 8, 42L);
                        region.purge(span, 0, page);
                        if (span.segment().get(ValueLayout.JAVA_LONG, 0) != 0) {
                            unexpected.add("a purged page did not read zero");
                        }
                        region.release(span);
                        operations.incrementAndGet();
                    } catch (IllegalStateException e) {
                        // closed under us: the segment's scope, purge or release refused; acquire ends the loop
                    } catch (RuntimeException e) {
                        unexpected.add(e.toString());
                    }
                }
            }));
        }
        started.await();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (operations.get() < 200L * threads && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        region.close();
        for (Thread w : workers) {
            w.join(20_000);
        }
        boolean allEndedOnClose = endings.size() == threads && endings.stream().allMatch(closedMessage::equals);
        System.out.println("threads=" + threads + " operations=" + operations.get() + " endings=" + endings
                + " unexpected=" + unexpected + " committed=" + region.committedBytes());
        return allEndedOnClose && unexpected.isEmpty() && operations.get() > 0 && region.committedBytes() == 0;
    }

    /** The committer thread runs once a region needs it and is gone once the only region closes. */
    private static boolean committerStopsAtClose() throws InterruptedException {
        Region region = Region.builder().name("alone").reserve(64 * MiB).commitAhead(2 * MiB).build();
        for (int i = 0; i < 4; i++) {
            region.acquire(2 * MiB);
        }
        boolean runningBefore = committerThreadAlive();
        region.close();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (committerThreadAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        boolean runningAfter = committerThreadAlive();
        System.out.println("runningBefore=" + runningBefore + " runningAfter=" + runningAfter);
        return runningBefore && !runningAfter;
    }

    private static boolean committerThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.isAlive() && (t.getName().equals(RegionCommitter.THREAD_NAME)
                        || t.getName().equals(RegionCommitter.PREFAULT_THREAD_NAME)));
    }
}
