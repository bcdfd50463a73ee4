package dev.offheap.allocator.region;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pre-faulter runs under SCHED_IDLE, read back from the kernel; the committer does not. */
@Timeout(60)
class BackgroundPriorityTest {
    private static final int SCHED_OTHER = 0;
    private static final int SCHED_IDLE = 5;

    /** {@return the scheduling policy of a task, field 41 of its {@code stat}} */
    private static int policy(Path task) throws IOException {
        String stat = Files.readString(task.resolve("stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(fields[41 - 3]);
    }

    @Test
    void aLoweredThreadReadsSchedIdleAndAnotherKeepsNormalPriority() throws Exception {
        AtomicBoolean lowered = new AtomicBoolean();
        AtomicInteger policy = new AtomicInteger(-1);
        Thread t = Thread.ofPlatform().start(() -> {
            lowered.set(BackgroundPriority.lowerCurrentThread());
            try {
                policy.set(policy(Path.of("/proc/thread-self")));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        t.join();
        assertTrue(lowered.get());
        assertEquals(SCHED_IDLE, policy.get());
        assertEquals(SCHED_OTHER, policy(Path.of("/proc/thread-self")), "control: the test's own thread");
    }

    @Test
    void thePreFaulterRunsUnderSchedIdleAndTheCommitterAtNormalPriority() throws Exception {
        try (Region region = Region.builder().name("priority").reserve(64L << 20).commitAhead(4L << 20).build()) {
            region.acquire(2L << 20);
            // Linux keeps 15 characters of a thread's name: both read "offheap-region-", as the
            // decay daemon does. The pre-faulter is the one under SCHED_IDLE; the others are not.
            List<Integer> policies = new ArrayList<>();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!policies.contains(SCHED_IDLE) && System.nanoTime() < deadline) {
                policies.clear();
                try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
                    for (Path task : tasks.toList()) {
                        if (Files.readString(task.resolve("comm")).strip().equals("offheap-region-")) {
                            policies.add(policy(task));
                        }
                    }
                }
                Thread.sleep(10);
            }
            assertTrue(policies.contains(SCHED_IDLE), "the pre-faulter: " + policies);
            assertTrue(policies.contains(SCHED_OTHER), "control: the committer keeps normal priority: " + policies);
        }
    }
}
