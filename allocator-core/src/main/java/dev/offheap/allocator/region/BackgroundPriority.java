package dev.offheap.allocator.region;

import dev.offheap.allocator.NativeCallException;
import dev.offheap.allocator.os.Syscalls;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Puts a background thread of the library under Linux's {@code SCHED_IDLE} as it starts, so it
 * gives way to the application's threads: the {@link RegionCommitter#PREFAULTER}, whose work
 * (a fraction of a millisecond of CPU per 2 MiB, in a steady stream while a heap grows) is worth
 * doing only with a CPU nobody else wants. On two cores a pre-faulter at normal priority made the
 * allocating thread lose its core for a scheduler tick (about 4 ms) some seventy times while it
 * grew to 1 GiB; under {@code SCHED_IDLE} a few times. Only a thread that holds no lock an
 * application thread may wait for can be lowered: preempted while holding it, it would hold that
 * thread up until a CPU fell idle (so not the committer or the decay daemon, which work under the
 * region's lock). Where the policy is missing or refused, the thread runs at normal priority and
 * that is logged once.
 */
final class BackgroundPriority {
    private static final System.Logger LOG = System.getLogger(BackgroundPriority.class.getName());
    private static final AtomicBoolean REFUSAL_LOGGED = new AtomicBoolean();

    private BackgroundPriority() {
    }

    /** Lowers the calling thread; {@return whether it is now under {@code SCHED_IDLE}} Never throws. */
    static boolean lowerCurrentThread() {
        try {
            Syscalls.scheduleCurrentThreadIdle();
            return true;
        } catch (UnsupportedOperationException | NativeCallException e) {
            if (REFUSAL_LOGGED.compareAndSet(false, true)) {
                LOG.log(System.Logger.Level.INFO, "background threads keep normal priority: " + e.getMessage());
            }
            return false;
        }
    }
}
