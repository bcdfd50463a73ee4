package dev.offheap.allocator.facade;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A service that frees most of its small blocks without emptying any slab page, then idles with
 * its thread alive and makes no call: one decay delay later the decay daemon has given the free
 * slots' OS pages back (they read zero when handed out again, zeroing off), and the kept blocks
 * keep their bytes. No page retires here, so nothing but the frees themselves asks for the pass.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IdlePurgeWithoutEmptyPagesTest {
    private static final int BLOCK = 256;
    private static final int BLOCKS = 16_384;
    private static final int KEEP_EVERY = 64; // four kept blocks in every 64 KiB page: none falls empty

    @Test
    void freeSlotsGoBackAfterTheDecayDelayWithNoCall() throws Exception {
        Reused reused = churnThenIdle(Duration.ofMillis(100), 1_500);
        assertTrue(reused.zero > reused.total / 2,
                "most freed slots read zero: their OS pages went back; zero=" + reused.zero + " of " + reused.total);
    }

    @Test
    void withADecayLongerThanTheIdleTheFreedSlotsKeepTheirBytes() throws Exception { // the positive control
        Reused reused = churnThenIdle(Duration.ofSeconds(30), 1_500);
        assertEquals(0, reused.zero, "no pass yet: every freed slot still holds its bytes");
    }

    private record Reused(int zero, int total) {
    }

    private static Reused churnThenIdle(Duration decay, long idleMillis) throws Exception {
        try (OffHeap memory = OffHeap.builder().name("idle-purge").reserve(1L << 30).decay(decay).zeroing(false).build()) {
            List<Long> kept = new ArrayList<>();
            List<Long> freed = new ArrayList<>();
            for (int i = 0; i < BLOCKS; i++) {
                long h = memory.allocate(BLOCK);
                memory.segment(h).fill((byte) 0x5A);
                (i % KEEP_EVERY == 0 ? kept : freed).add(h);
            }
            freed.forEach(memory::free);
            Thread.sleep(idleMillis); // alive, idle, no call
            for (long h : kept) {
                assertEquals((byte) 0x5A, memory.segment(h).get(ValueLayout.JAVA_BYTE, BLOCK - 1), "a kept block lost its bytes");
            }
            int zero = 0;
            List<Long> again = new ArrayList<>();
            for (int i = 0; i < freed.size(); i++) {
                long h = memory.allocate(BLOCK);
                if (memory.segment(h).get(ValueLayout.JAVA_BYTE, 0) == 0) {
                    zero++;
                }
                again.add(h);
            }
            again.forEach(memory::free);
            kept.forEach(memory::free);
            return new Reused(zero, freed.size());
        }
    }
}
