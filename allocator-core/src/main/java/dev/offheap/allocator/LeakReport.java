package dev.offheap.allocator;

import java.util.List;

/**
 * One leak found: blocks still owned when their allocator closed, or a block handle that became
 * unreachable while it still owned memory.
 *
 * <p>Thread-safety: immutable.
 *
 * @param allocator the name of the allocator the blocks came from
 * @param cause how the leak was found
 * @param blocks how many blocks leaked, at least 1
 * @param bytes their usable bytes in total
 * @param allocationSites where some of them were allocated (at most {@link #MAX_SITES}); empty where
 *        allocation-site tracking is off
 */
public record LeakReport(String allocator, Cause cause, long blocks, long bytes, List<Throwable> allocationSites) {
    /** The most allocation sites one report carries, so a large leak does not flood the log. */
    public static final int MAX_SITES = 16;

    /** Copies the list so the record stays immutable. */
    public LeakReport {
        allocationSites = List.copyOf(allocationSites);
    }

    /** How a leak was found. */
    public enum Cause {
        /** The allocator (or block allocator) was closed while these blocks were still live. */
        OUTSTANDING_AT_CLOSE,
        /** A block handle object was garbage collected while it still owned its block. */
        UNREACHABLE
    }

    /** {@return a one-line summary: {@code leak found: cause=…, allocator=…, blocks=…, bytes=…}} */
    public String summary() {
        return "leak found: cause=" + cause + ", allocator=" + allocator + ", blocks=" + blocks + ", bytes=" + bytes
                + (allocationSites.isEmpty() ? ", allocationSites=untracked" : ", allocationSites=" + allocationSites.size());
    }
}
