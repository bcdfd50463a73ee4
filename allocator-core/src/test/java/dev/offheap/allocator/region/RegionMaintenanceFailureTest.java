package dev.offheap.allocator.region;

import dev.offheap.allocator.jfr.OffHeapEvents;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A failed background pass is reported as a JFR event naming the region and the pass, and counted. */
@Timeout(60)
class RegionMaintenanceFailureTest {
    private static final long MiB = 1L << 20;

    @Test
    void aFailedPassIsRecordedAsAJfrEventAndCounted() throws IOException {
        Path file = Files.createTempFile("region-maintenance", ".jfr");
        long failures;
        try (Recording recording = new Recording()) {
            recording.enable(OffHeapEvents.PREFIX + "RegionMaintenanceFailure");
            recording.start();
            // The pre-commit at build runs on this thread, so the failure is reported before build returns.
            FaultyMemory kernel = new FaultyMemory().failNext(FaultyMemory.Call.COMMIT, 1);
            try (Region region = Region.builder().name("jfr-maintenance").reserve(16 * MiB).commitAhead(2 * MiB)
                    .decay(Duration.ofHours(1)).backgroundDecay(false).memory(kernel).build()) {
                failures = region.maintenanceFailures();
            }
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals(OffHeapEvents.PREFIX + "RegionMaintenanceFailure"))
                .filter(e -> "jfr-maintenance".equals(e.getString("region")))
                .toList();
        Files.deleteIfExists(file);
        assertEquals(1, failures);
        assertEquals(1, events.size(), "events=" + events);
        RecordedEvent event = events.get(0);
        assertEquals("commit-ahead", event.getString("task"));
        assertEquals("dev.offheap.allocator.NativeCallException", event.getString("failure"));
        assertEquals(List.of("offheap"), event.getEventType().getCategoryNames());
    }
}
