package dev.offheap.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpscQueueTest {

    @Test
    void longQueueIsFifoAndBounded() {
        LongSpscQueue q = new LongSpscQueue(4);
        assertEquals(0, q.poll());
        for (long v = 1; v <= 4; v++) {
            assertTrue(q.offer(v));
        }
        assertTrue(q.isFull());
        assertFalse(q.offer(5));
        assertEquals(1, q.poll());
        assertTrue(q.offer(5));
        for (long v = 2; v <= 5; v++) {
            assertEquals(v, q.poll());
        }
        assertEquals(0, q.poll());
    }

    @Test
    void objectQueueIsFifoAndBounded() {
        SpscQueue<String> q = new SpscQueue<>(2);
        assertTrue(q.offer("a"));
        assertTrue(q.offer("b"));
        assertFalse(q.offer("c"));
        assertEquals("a", q.poll());
        assertEquals("b", q.poll());
        assertNull(q.poll());
    }

    @Test
    void capacityMustBeAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new LongSpscQueue(3));
        assertThrows(IllegalArgumentException.class, () -> new SpscQueue<>(1));
    }

    @Test
    void handsEveryValueOverInOrderBetweenTwoThreads() throws InterruptedException {
        LongSpscQueue q = new LongSpscQueue(64);
        int n = 50_000;
        Thread producer = new Thread(() -> {
            for (long v = 1; v <= n; ) {
                if (q.offer(v)) {
                    v++;
                } else {
                    Thread.onSpinWait();
                }
            }
        });
        producer.start();
        long expected = 1;
        while (expected <= n) {
            long v = q.poll();
            if (v == 0) {
                Thread.onSpinWait();
                continue;
            }
            assertEquals(expected++, v);
        }
        producer.join();
        assertEquals(0, q.poll());
    }
}
