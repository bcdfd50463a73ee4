package dev.offheap.bench.rss;

import java.util.ArrayList;
import java.util.List;

/**
 * Resident memory of one peer's JVM over the churn scenario: the process's {@code VmRSS} sampled
 * about every {@value RssSampler#PERIOD_MS} ms, and when each phase began.
 *
 * @param peer    the peer measured
 * @param millis  milliseconds since the sampler started, one per sample
 * @param rssMib  resident MiB at each sample
 * @param phases  the phases in order: {@code fill}, {@code churn}, {@code free-most}, {@code idle},
 *                each with the millisecond it began
 */
public record RssTimeline(String peer, List<Long> millis, List<Double> rssMib, List<Phase> phases) {

    /** One phase's start. @param name the phase @param startMillis milliseconds since the sampler started */
    public record Phase(String name, long startMillis) {
    }

    /** {@return the millisecond phase {@code name} began, or -1 if it never did} */
    public long phaseStart(String name) {
        return phases.stream().filter(p -> p.name().equals(name)).mapToLong(Phase::startMillis).findFirst().orElse(-1);
    }

    /** {@return resident MiB of the first sample at or after {@code atMillis} (the last if none)} */
    public double rssAt(long atMillis) {
        for (int i = 0; i < millis.size(); i++) {
            if (millis.get(i) >= atMillis) {
                return rssMib.get(i);
            }
        }
        return rssMib.get(rssMib.size() - 1);
    }

    /** {@return a copy with the peer's name, the sampled series being anonymous in the child} */
    RssTimeline named(String name) {
        return new RssTimeline(name, new ArrayList<>(millis), new ArrayList<>(rssMib), new ArrayList<>(phases));
    }
}
