package dev.offheap.allocator.facade;

import dev.offheap.allocator.testing.Reuse;
import dev.offheap.allocator.ownership.LeakDetection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** System properties set the builder's defaults; the builder's own calls win. */
@Timeout(60)
class OffHeapDefaultsTest {
    private static final String[] ALL = {OffHeapDefaults.RESERVE, OffHeapDefaults.LIMIT, OffHeapDefaults.DECAY,
            OffHeapDefaults.HUGE_PAGES, OffHeapDefaults.ZEROING, OffHeapDefaults.CHECKED, OffHeapDefaults.LEAK_DETECTION,
            OffHeapDefaults.THREAD_CACHES, OffHeapDefaults.POOLED_CACHES};

    @AfterEach
    void clearProperties() {
        for (String property : ALL) {
            System.clearProperty(property);
        }
    }

    @Test
    void reserveAndLimitComeFromPropertiesAndTheBuilderWins() {
        try (OffHeap plain = OffHeap.builder().build()) {
            assertEquals(64L << 30, plain.region().reservedBytes(), "built-in default");
            assertEquals(Long.MAX_VALUE, plain.region().limitBytes());
        }
        System.setProperty(OffHeapDefaults.RESERVE, "1g");
        System.setProperty(OffHeapDefaults.LIMIT, "256MiB");
        try (OffHeap fromProperties = OffHeap.builder().build()) {
            assertEquals(1L << 30, fromProperties.region().reservedBytes());
            assertEquals(256L << 20, fromProperties.region().limitBytes());
        }
        try (OffHeap fromBuilder = OffHeap.builder().reserve(2L << 30).limit(64L << 20).build()) {
            assertEquals(2L << 30, fromBuilder.region().reservedBytes());
            assertEquals(64L << 20, fromBuilder.region().limitBytes());
        }
    }

    @Test
    void checkedModeFromThePropertyMakesAFreedBlocksSegmentThrow() {
        // Control: unchecked, a segment kept after free still reads (the documented unchecked case).
        try (OffHeap plain = OffHeap.builder().reserve(1L << 30).build()) {
            MemorySegment kept = keptAfterFree(plain);
            assertDoesNotThrow(() -> kept.get(ValueLayout.JAVA_BYTE, 0));
        }
        System.setProperty(OffHeapDefaults.CHECKED, "true");
        try (OffHeap checked = OffHeap.builder().reserve(1L << 30).build()) {
            MemorySegment kept = keptAfterFree(checked);
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0));
        }
        try (OffHeap overridden = OffHeap.builder().reserve(1L << 30).checked(false).build()) {
            MemorySegment kept = keptAfterFree(overridden);
            assertDoesNotThrow(() -> kept.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    private static MemorySegment keptAfterFree(OffHeap memory) {
        long handle = memory.allocate(64);
        MemorySegment segment = memory.segment(handle);
        memory.free(handle);
        return segment;
    }

    @Test
    void zeroingOffFromThePropertyHandsBackOldBytes() {
        System.setProperty(OffHeapDefaults.ZEROING, "false");
        try (OffHeap memory = OffHeap.builder().reserve(1L << 30).build()) {
            assertEquals((byte) 0x5A, reuseAfterFill(memory));
        }
        try (OffHeap memory = OffHeap.builder().reserve(1L << 30).zeroing(true).build()) {
            assertEquals(0, reuseAfterFill(memory), "the builder wins");
        }
    }

    private static byte reuseAfterFill(OffHeap memory) {
        long first = memory.allocate(128);
        long address = memory.segment(first).address();
        memory.segment(first).fill((byte) 0x5A);
        memory.free(first);
        long again = Reuse.reuseOf(memory, 128, first);
        assertEquals(address, memory.segment(again).address(), "the freed slot came back");
        return memory.segment(again).get(ValueLayout.JAVA_BYTE, 0);
    }

    @Test
    void leakDetectionAndHugePagesParse() {
        assertEquals(LeakDetection.SAMPLED, OffHeapDefaults.leakDetection());
        System.setProperty(OffHeapDefaults.LEAK_DETECTION, "Paranoid");
        assertEquals(LeakDetection.PARANOID, OffHeapDefaults.leakDetection());
        System.setProperty(OffHeapDefaults.LEAK_DETECTION, "disabled");
        assertEquals(LeakDetection.DISABLED, OffHeapDefaults.leakDetection());
        assertFalse(OffHeapDefaults.checked());
        assertTrue(OffHeapDefaults.zeroing());
    }

    @Test
    void badValuesFailAtBuilderWithThePropertyNamed() {
        String[][] cases = {
                {OffHeapDefaults.RESERVE, "lots"}, {OffHeapDefaults.RESERVE, "0"}, {OffHeapDefaults.LIMIT, "-5m"},
                {OffHeapDefaults.DECAY, "soon"}, {OffHeapDefaults.DECAY, "-PT1S"}, {OffHeapDefaults.CHECKED, "yes"},
                {OffHeapDefaults.ZEROING, "1"}, {OffHeapDefaults.HUGE_PAGES, "on"}, {OffHeapDefaults.LEAK_DETECTION, "loud"},
                {OffHeapDefaults.THREAD_CACHES, "pooled"}, {OffHeapDefaults.POOLED_CACHES, "0"},
                {OffHeapDefaults.POOLED_CACHES, "many"}};
        for (String[] c : cases) {
            System.setProperty(c[0], c[1]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, OffHeap::builder, c[0] + "=" + c[1]);
            assertTrue(e.getMessage().endsWith(c[0] + "=" + c[1]), e.getMessage());
            System.clearProperty(c[0]);
        }
        assertDoesNotThrow(OffHeap::builder, "all cleared: the defaults again");
    }

    @Test
    void byteCountsAndDurationsParse() {
        assertEquals(4096, OffHeapDefaults.parseBytes("p", "4k"));
        assertEquals(4096, OffHeapDefaults.parseBytes("p", "4KiB"));
        assertEquals(512L << 20, OffHeapDefaults.parseBytes("p", "512m"));
        assertEquals(64L << 30, OffHeapDefaults.parseBytes("p", "64G"));
        assertEquals(1L << 40, OffHeapDefaults.parseBytes("p", "1t"));
        assertEquals(123_456, OffHeapDefaults.parseBytes("p", "123_456"));
        assertThrows(IllegalArgumentException.class, () -> OffHeapDefaults.parseBytes("p", "99999999999t"));
        assertThrows(IllegalArgumentException.class, () -> OffHeapDefaults.parseBytes("p", "m"));
        assertEquals(Duration.ofMillis(500), OffHeapDefaults.parseDuration("p", "500ms"));
        assertEquals(Duration.ofSeconds(10), OffHeapDefaults.parseDuration("p", "10s"));
        assertEquals(Duration.ofMinutes(2), OffHeapDefaults.parseDuration("p", "2m"));
        assertEquals(Duration.ofHours(1), OffHeapDefaults.parseDuration("p", "1h"));
        assertEquals(Duration.ZERO, OffHeapDefaults.parseDuration("p", "0"));
        assertEquals(Duration.ofSeconds(10), OffHeapDefaults.parseDuration("p", "PT10S"));
    }

    @Test
    void threadCachesOffFromThePropertyKeepsTheCachesWithinThePooledCount() throws InterruptedException {
        System.setProperty(OffHeapDefaults.THREAD_CACHES, "false");
        System.setProperty(OffHeapDefaults.POOLED_CACHES, "2");
        assertFalse(OffHeapDefaults.threadCaches());
        assertEquals(2, OffHeapDefaults.pooledCaches());
        try (OffHeap pooled = OffHeap.builder().reserve(1L << 30).build()) {
            long caches = OffHeapThreadCachesTest.cachesWith(pooled, 6);
            assertTrue(caches >= 1 && caches <= 2, "at most the pooled count: " + caches);
        }
        System.clearProperty(OffHeapDefaults.THREAD_CACHES);
        try (OffHeap perThread = OffHeap.builder().reserve(1L << 30).pooledCaches(3).build()) {
            assertTrue(OffHeapThreadCachesTest.cachesWith(perThread, 6) >= 6,
                    "positive control: one cache per platform thread; pooledCaches bounds only the pool");
        }
    }
}
