package dev.offheap.allocator.jfr;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each event, provoked for real where an allocator emits it, through the helper otherwise, read back from a dump. */
class OffHeapEventsTest {
    private static final long MiB = 1L << 20;

    @TempDir
    Path dir;

    /** Runs {@code action} inside a recording with every event of the library enabled; returns its events for {@code allocator}. */
    private List<RecordedEvent> record(String allocator, boolean enableAll, Runnable action) throws IOException {
        Path file = dir.resolve("events.jfr");
        try (Recording recording = new Recording()) {
            if (enableAll) {
                for (String type : List.of("AllocationFailure", "Leak", "DoubleFree", "UseAfterFree",
                        "RegionCommit", "RegionDecommit", "LargeAllocation")) {
                    recording.enable(OffHeapEvents.PREFIX + type).withStackTrace();
                }
            }
            recording.start();
            action.run();
            recording.stop();
            recording.dump(file);
        }
        return RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith(OffHeapEvents.PREFIX))
                .filter(e -> allocator.equals(e.getString("allocator")))
                .toList();
    }

    private static List<RecordedEvent> ofType(List<RecordedEvent> events, String type) {
        return events.stream().filter(e -> e.getEventType().getName().equals(OffHeapEvents.PREFIX + type)).toList();
    }

    @Test
    void regionLimitFailureCommitAndDecommitEachProduceTheirEvent() throws IOException {
        List<RecordedEvent> events = record("jfr-region", true, () -> {
            try (Region region = Region.builder().name("jfr-region").reserve(64 * MiB).limit(4 * MiB)
                    .decay(Duration.ofHours(1)).build()) {
                Span span = region.acquire(4 * MiB);
                assertThrowsOutOfMemory(() -> region.acquire(2 * MiB));
                region.release(span);
                region.trim();
            }
        });

        RecordedEvent commit = single(ofType(events, "RegionCommit"));
        assertEquals(4 * MiB, commit.getLong("bytes"));
        assertEquals(4 * MiB, commit.getLong("committedBytes"));
        RecordedEvent decommit = single(ofType(events, "RegionDecommit"));
        assertEquals(4 * MiB, decommit.getLong("bytes"));
        assertEquals(0, decommit.getLong("committedBytes"));
        RecordedEvent failure = single(ofType(events, "AllocationFailure"));
        assertEquals("limit on committed bytes reached", failure.getString("reason"));
        assertEquals(2 * MiB, failure.getLong("requestedBytes"));
        assertEquals(4 * MiB, failure.getLong("limitBytes"));
        assertEquals(4 * MiB, failure.getLong("committedBytes"));
        assertEquals(4 * MiB, failure.getLong("usedBytes"));
        assertTrue(failure.getStackTrace().getFrames().stream()
                .anyMatch(f -> f.getMethod().getName().equals("acquire")), "stack shows the failing acquire");
        RecordedEvent large = single(ofType(events, "LargeAllocation"));
        assertEquals(4 * MiB, large.getLong("bytes"));
        assertEquals("jdk.jfr.DataAmount", commit.getEventType().getField("bytes").getAnnotationElements().stream()
                .map(a -> a.getTypeName()).filter(n -> n.equals("jdk.jfr.DataAmount")).findFirst().orElse(""));
        assertEquals(List.of("offheap"), commit.getEventType().getCategoryNames());
    }

    @Test
    void bumpArenaRequestLargerThanAnySpanProducesAFailureEvent() throws IOException {
        List<RecordedEvent> events = record("jfr-bump", true, () -> {
            try (BumpArena arena = BumpArena.builder().name("jfr-bump").reserve(8 * MiB).build()) {
                assertThrowsOutOfMemory(() -> arena.allocate(16 * MiB, 8));
            }
        });
        RecordedEvent failure = single(ofType(events, "AllocationFailure"));
        assertEquals("request exceeds the largest span", failure.getString("reason"));
        assertEquals(16 * MiB, failure.getLong("requestedBytes"));
        assertEquals(8 * MiB, failure.getLong("limitBytes"));
    }

    @Test
    void misuseAndLeakHelpersRecordTheirFields() throws IOException {
        List<RecordedEvent> events = record("jfr-slab", true, () -> {
            OffHeapEvents.emitDoubleFree("jfr-slab", 0x1234L, 64);
            OffHeapEvents.emitUseAfterFree("jfr-slab", 0x5678L, 128);
            OffHeapEvents.emitLeak("jfr-slab", 256, "at Service.handle(Service.java:42)\n");
            OffHeapEvents.emitLeak("jfr-slab", 512, new Throwable("allocation site"));
            OffHeapEvents.emitLeak("jfr-slab", 1024, (String) null);
            OffHeapEvents.emitLargeAllocation("jfr-slab", OffHeapEvents.LARGE_BLOCK_BYTES - 1); // too small: none
            OffHeapEvents.emitLargeAllocation("jfr-slab", OffHeapEvents.LARGE_BLOCK_BYTES);
        });
        RecordedEvent doubleFree = single(ofType(events, "DoubleFree"));
        assertEquals(0x1234L, doubleFree.getLong("handle"));
        assertEquals(64, doubleFree.getLong("bytes"));
        assertTrue(doubleFree.getStackTrace().getFrames().stream()
                .anyMatch(f -> f.getMethod().getName().equals("emitDoubleFree")), "stack of the second free");
        RecordedEvent useAfterFree = single(ofType(events, "UseAfterFree"));
        assertEquals(0x5678L, useAfterFree.getLong("handle"));
        assertEquals(128, useAfterFree.getLong("bytes"));

        List<RecordedEvent> leaks = ofType(events, "Leak");
        assertEquals(3, leaks.size());
        assertEquals(256, leaks.get(0).getLong("bytes"));
        assertEquals("at Service.handle(Service.java:42)\n", leaks.get(0).getString("allocationSite"));
        assertEquals(512, leaks.get(1).getLong("bytes"));
        assertTrue(leaks.get(1).getString("allocationSite").contains("misuseAndLeakHelpersRecordTheirFields"),
                leaks.get(1).getString("allocationSite"));
        assertEquals("", leaks.get(2).getString("allocationSite"), "tracking off: no site");

        RecordedEvent large = single(ofType(events, "LargeAllocation"));
        assertEquals(OffHeapEvents.LARGE_BLOCK_BYTES, large.getLong("bytes"));
    }

    @Test
    void largeAllocationsAreOffUnlessARecordingAsksButFailuresAreOnByDefault() throws IOException {
        List<RecordedEvent> events = record("jfr-default", false, () -> {
            OffHeapEvents.emitLargeAllocation("jfr-default", 8 * MiB);
            OffHeapEvents.emitDoubleFree("jfr-default", 1, 16);
        });
        assertEquals(0, ofType(events, "LargeAllocation").size());
        assertEquals(1, ofType(events, "DoubleFree").size());
    }

    @Test
    void helpersThrowNothingWithoutARecordingAndRecordWithOne() throws IOException {
        Runnable emitAll = () -> {
            OffHeapEvents.emitAllocationFailure("helpers", "reason", 1, 2, 3, 4);
            OffHeapEvents.emitLeak("helpers", 1, (Throwable) null);
            OffHeapEvents.emitRegionCommit("helpers", 1, 1);
            OffHeapEvents.emitRegionDecommit("helpers", 1, 0);
        };
        emitAll.run(); // no recording: each helper must return without throwing (a null site included)
        List<RecordedEvent> events = record("helpers", true, emitAll);
        assertEquals(List.of("AllocationFailure", "Leak", "RegionCommit", "RegionDecommit"),
                events.stream().map(e -> e.getEventType().getName().substring(OffHeapEvents.PREFIX.length())).toList(),
                "the same calls record one event each once a recording runs, and the earlier ones are not in it");
    }

    private static RecordedEvent single(List<RecordedEvent> events) {
        assertEquals(1, events.size(), events.toString());
        return events.getFirst();
    }

    private static void assertThrowsOutOfMemory(Runnable action) {
        try {
            action.run();
        } catch (OutOfOffHeapMemoryException expected) {
            return;
        }
        throw new AssertionError("expected OutOfOffHeapMemoryException");
    }

    @Test
    void theAllocatorsEmitDoubleFreeUseAfterFreeAndLeakEventsThemselves() throws IOException {
        List<RecordedEvent> slab = new java.util.ArrayList<>();
        List<RecordedEvent> freeList = record("jfr.free-list", true, () -> {
            dev.offheap.allocator.facade.OffHeap memory = dev.offheap.allocator.facade.OffHeap.builder()
                    .name("jfr").reserve(1L << 30).leakListener(report -> { }).build();
            long small = memory.allocate(64);
            memory.free(small);
            org.junit.jupiter.api.Assertions.assertThrows(dev.offheap.allocator.DoubleFreeException.class, () -> memory.free(small));
            long medium = memory.allocate(100_000);
            memory.free(medium);
            org.junit.jupiter.api.Assertions.assertThrows(dev.offheap.allocator.UseAfterFreeException.class, () -> memory.segment(medium));
            memory.allocateBlock(128); // still open at close: a leak
            memory.close();
        });
        assertEquals(1, ofType(freeList, "UseAfterFree").size(), "free-list use after free");
        assertEquals(0, ofType(freeList, "DoubleFree").size());
        slab.addAll(record("jfr.slab", true, () -> {
            dev.offheap.allocator.facade.OffHeap memory = dev.offheap.allocator.facade.OffHeap.builder()
                    .name("jfr").reserve(1L << 30).leakListener(report -> { }).build();
            long small = memory.allocate(64);
            memory.free(small);
            org.junit.jupiter.api.Assertions.assertThrows(dev.offheap.allocator.DoubleFreeException.class, () -> memory.free(small));
            memory.close();
        }));
        List<RecordedEvent> doubleFrees = ofType(slab, "DoubleFree");
        assertEquals(1, doubleFrees.size(), "slab double free");
        assertEquals(64, doubleFrees.getFirst().getLong("bytes"), "the slab knows the block's class size");
        List<RecordedEvent> leaks = ofType(record("jfr.slab", true, () -> {
            dev.offheap.allocator.facade.OffHeap memory = dev.offheap.allocator.facade.OffHeap.builder()
                    .name("jfr").reserve(1L << 30).leakListener(report -> { }).build();
            memory.allocateBlock(128);
            memory.close();
        }), "Leak");
        assertEquals(1, leaks.size(), "the object handle still open at close, once, by the range that held it");
    }
}
