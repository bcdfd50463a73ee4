package dev.offheap.netty;

import dev.offheap.allocator.LeakReport;
import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.ownership.LeakDetection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A buffer dropped without {@code release()} is reported, by the library's leak detection and, when
 * it is on, by Netty's {@link ResourceLeakDetector}; a buffer released before it became
 * unreachable (collected in the same GCs) is not: the positive control that the report is about
 * the leak, not about garbage collection.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LeakDetectionTest {
    private static final int RELEASED_BYTES = 100;
    private static final int LEAKED_BYTES = 3000;

    private ResourceLeakDetector.Level nettyLevel;
    private final Queue<LeakReport> libraryReports = new ConcurrentLinkedQueue<>();
    private final Queue<String> nettyReports = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void saveNettyLevel() {
        nettyLevel = ResourceLeakDetector.getLevel();
    }

    @AfterEach
    void restoreNettyLevel() {
        ResourceLeakDetector.setLevel(nettyLevel);
        ByteBufUtil.setLeakListener(null);
    }

    @Test
    void theLibraryReportsABufferDroppedWithoutRelease() throws InterruptedException {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED); // only the library watches
        try (OffHeap offHeap = OffHeap.builder().name("netty-leak").reserve(1L << 30)
                .leakDetection(LeakDetection.PARANOID).leakListener(libraryReports::add).build()) {
            OffHeapByteBufAllocator alloc = new OffHeapByteBufAllocator(offHeap);
            allocateAndRelease(alloc, RELEASED_BYTES);
            long leakedUsable = allocateAndDrop(alloc, LEAKED_BYTES);
            gcUntil(() -> !libraryReports.isEmpty(), () -> { });
            Thread.sleep(200); // a late report of the released buffer would arrive now
            List<LeakReport> reports = List.copyOf(libraryReports);
            assertEquals(1, reports.size(), "only the dropped buffer leaked: " + reports);
            LeakReport report = reports.getFirst();
            assertEquals(LeakReport.Cause.UNREACHABLE, report.cause());
            assertEquals(leakedUsable, report.bytes());
            assertEquals(1, report.blocks());
            assertFalse(report.allocationSites().isEmpty(), "PARANOID records where it was allocated");
            assertTrue(offHeap.snapshot().leaks() >= 1);
            assertEquals(1, alloc.liveDirectBuffers(), "a leaked block is reported, not freed");
        }
    }

    @Test
    void nettysDetectorReportsItTooWhenItIsOn() throws InterruptedException {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ByteBufUtil.setLeakListener((resourceType, records) -> nettyReports.add(resourceType + "\n" + records));
        long leakedUsable;
        try (OffHeap offHeap = OffHeap.builder().name("netty-leak-netty").reserve(1L << 30)
                .leakDetection(LeakDetection.DISABLED).leakListener(libraryReports::add).build()) {
            OffHeapByteBufAllocator alloc = new OffHeapByteBufAllocator(offHeap);
            ByteBuf probe = alloc.directBuffer(8);
            assertTrue(probe.getClass().getSimpleName().contains("LeakAware"),
                    "precondition: Netty wrapped the buffer, class=" + probe.getClass());
            probe.release();
            allocateAndRelease(alloc, RELEASED_BYTES);
            leakedUsable = allocateAndDrop(alloc, LEAKED_BYTES);
            // Netty reports leaks found since the last call when the next buffer is tracked.
            gcUntil(() -> !nettyReports.isEmpty(), () -> allocateAndRelease(alloc, 16));
            List<String> reports = List.copyOf(nettyReports);
            assertEquals(1, reports.size(), "only the dropped buffer leaked: " + reports);
            assertTrue(reports.getFirst().startsWith("ByteBuf\n"), reports.getFirst());
            assertTrue(reports.getFirst().contains("allocateAndDrop"), "the record names the allocation site");
            assertEquals(1, alloc.liveDirectBuffers());
        }
        // The library reports the block never freed at close once, from the range that holds it
        // ("<name>.slab" for a block this small): one leak path, so no second report from the façade.
        List<LeakReport> atClose = libraryReports.stream()
                .filter(r -> r.cause() == LeakReport.Cause.OUTSTANDING_AT_CLOSE).toList();
        assertEquals(1, atClose.size(), "reports: " + libraryReports);
        assertTrue(atClose.getFirst().allocator().startsWith("netty-leak-netty"), atClose::toString);
        assertEquals(1, atClose.getFirst().blocks());
        assertEquals(leakedUsable, atClose.getFirst().bytes());
        assertEquals(atClose, List.copyOf(libraryReports), "Netty's detector on, the library's off: no other report");
    }

    private static void allocateAndRelease(OffHeapByteBufAllocator alloc, int capacity) {
        ByteBuf buf = alloc.directBuffer(capacity);
        buf.writeByte(1);
        assertTrue(buf.release());
    }

    /** {@return the usable bytes of the block the dropped buffer holds} The buffer is unreachable on return. */
    private static long allocateAndDrop(OffHeapByteBufAllocator alloc, int capacity) {
        long before = alloc.metric().usedDirectMemory();
        ByteBuf buf = alloc.directBuffer(capacity);
        buf.writeByte(1);
        return alloc.metric().usedDirectMemory() - before;
    }

    private static void gcUntil(BooleanSupplier done, Runnable nudge) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("no leak report within 30 s of GCs");
            }
            System.gc();
            nudge.run();
            Thread.sleep(20);
        }
    }
}
