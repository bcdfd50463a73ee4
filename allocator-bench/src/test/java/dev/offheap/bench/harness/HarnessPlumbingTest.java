package dev.offheap.bench.harness;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every harness leans on: a child JVM's result line reaches the parent, a child that fails
 * is recorded as a failure with its reason, a report survives its JSON file, and the latency
 * recorder's percentiles are those of the values recorded.
 */
@Timeout(120)
class HarnessPlumbingTest {

    /** Run in a child JVM by the tests below: emits one figure, or fails as asked. */
    public static final class Child {
        public static void main(String[] args) {
            if (args[0].equals("fail")) {
                System.out.println("child refuses: why=asked");
                System.exit(3);
            }
            ChildJvm.emit(HarnessReport.of("plumbing", null).add("peer-a", "answer", Double.parseDouble(args[0]), "count"));
        }
    }

    @Test
    void childResultReachesTheParent() throws Exception {
        ChildJvm.Outcome outcome = ChildJvm.run(Child.class, List.of("-Xmx64m"), List.of("42"), 60);
        assertEquals(0, outcome.exit(), outcome.log());
        assertEquals(42.0, outcome.report().figure("peer-a", "answer").orElseThrow().value());
        HarnessReport merged = HarnessReport.of("plumbing", null).addChild("peer-a", outcome);
        assertEquals(List.of(), merged.errors());
        assertEquals(1, merged.figures().size());
    }

    @Test
    void failedChildIsRecordedWithItsReason() throws Exception {
        ChildJvm.Outcome outcome = ChildJvm.run(Child.class, List.of("-Xmx64m"), List.of("fail"), 60);
        assertEquals(3, outcome.exit());
        assertNull(outcome.report());
        HarnessReport merged = HarnessReport.of("plumbing", null).addChild("peer-b", outcome);
        assertEquals(List.of("peer-b: child refuses: why=asked"), merged.errors());
        assertTrue(merged.figures().isEmpty());
    }

    @Test
    void reportSurvivesItsFileWithNaNAndCurves(@TempDir Path dir) throws Exception {
        HarnessReport report = HarnessReport.of("plumbing", "a note").add("p", "m", Double.NaN, "ns").add("p", "n", -1, "count");
        report.curves().add(new HarnessReport.LatencyCurve("p", "growth", List.of(50.0, 99.9), List.of(70.0, 900.0)));
        report.errors().add("q: why");
        Path file = report.write(dir);
        assertEquals(dir.resolve("harness-plumbing.json"), file);
        Files.writeString(dir.resolve("harness-chart.png"), "not json"); // the report's own charts share the prefix
        List<HarnessReport> read = HarnessReport.readAll(dir);
        assertEquals(1, read.size());
        assertEquals(report, read.get(0));
        assertTrue(Double.isNaN(read.get(0).figure("p", "m").orElseThrow().value()));
    }

    @Test
    void reportWithoutListsReadsAsEmptyLists() {
        HarnessReport r = HarnessReport.fromJson("{\"harness\":\"old\"}");
        assertEquals("old", r.harness());
        assertTrue(r.figures().isEmpty() && r.curves().isEmpty() && r.series().isEmpty() && r.errors().isEmpty());
    }

    @Test
    void latencyPercentilesAreThoseOfTheRecordedValues() {
        Latencies latencies = new Latencies();
        for (long ns = 1; ns <= 10_000; ns++) {
            latencies.record(ns);
        }
        assertEquals(10_000, latencies.count());
        // Three significant digits: within 0.1 % of the exact value.
        assertEquals(5_000, latencies.percentile(50), 5);
        assertEquals(9_990, latencies.percentile(99.9), 10);
        assertEquals(10_000, latencies.max(), 10);
        // 10 values exceed 9 990; the histogram's bucket around the bound (0.1 % wide) may add up to 10 more.
        long above = latencies.countAbove(9_990);
        assertTrue(above >= 10 && above <= 20, "count above 9990: " + above);
        HarnessReport r = HarnessReport.of("plumbing", null);
        latencies.addTo(r, "p", "steady");
        assertEquals(latencies.percentile(99.9), r.figure("p", "steady.p99.9").orElseThrow().value());
        assertEquals(Latencies.CURVE.length, r.curves().get(0).percentiles().size());
    }
}
