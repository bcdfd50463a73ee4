package dev.offheap.allocator.metrics;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StripedCounterTest {

    @Test
    void sumsIncrementsAndSignedAddsOnOneThread() {
        StripedCounter counter = new StripedCounter();
        assertEquals(0, counter.sum());
        counter.increment();
        counter.add(41);
        counter.add(-2);
        assertEquals(40, counter.sum());
        assertEquals("40", counter.toString());
    }

    @ParameterizedTest
    @CsvSource({"1,1", "2,2", "3,4", "4,4", "5,8", "63,64", "64,64", "65,64", "1000,64"})
    void cellCountIsTheNextPowerOfTwoCappedAt64(int asked, int expected) {
        assertEquals(expected, new StripedCounter(asked).cellCount());
    }

    @Test
    void refusesANonPositiveCellCount() {
        assertThrows(IllegalArgumentException.class, () -> new StripedCounter(0));
    }

    @Test
    void threadsAddingAtOnceLoseNoAdd() throws Exception {
        // Fewer cells than threads, so some threads share a cell: the sum must still be exact.
        for (int cells : new int[] {1, 2, 64}) {
            StripedCounter counter = new StripedCounter(cells);
            int threads = 6;
            int perThread = 100_000;
            CyclicBarrier start = new CyclicBarrier(threads);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int delta = t + 1;
                Thread worker = new Thread(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < perThread; i++) {
                            counter.add(delta);
                            counter.increment();
                        }
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
                workers.add(worker);
                worker.start();
            }
            for (Thread worker : workers) {
                worker.join();
            }
            assertNull(failure.get());
            // sum over t of perThread * (t + 1 + 1)
            long expected = (long) perThread * (threads * (threads + 1) / 2 + threads);
            assertEquals(expected, counter.sum(), "cells=" + cells);
        }
    }

    @Test
    void aReaderNeverSeesTheSumGoBackwardsWhileOthersIncrement() throws Exception {
        StripedCounter counter = new StripedCounter(4);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            Thread writer = new Thread(() -> {
                while (!stop.get()) {
                    counter.increment();
                }
            });
            writers.add(writer);
            writer.start();
        }
        long last = 0;
        for (int i = 0; i < 200_000; i++) {
            long now = counter.sum();
            assertTrue(now >= last, "sum went from " + last + " to " + now);
            last = now;
        }
        stop.set(true);
        for (Thread writer : writers) {
            writer.join();
        }
        assertTrue(counter.sum() >= last);
    }
}
