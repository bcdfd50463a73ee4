package dev.offheap.allocator.region;

import java.util.Arrays;

/**
 * The region's chunk policy written the plain way, one chunk at a time: first fit, an idle chunk
 * preferred for a one-chunk request, decay of chunks idle for the delay, idle chunks outside the run
 * decommitted lowest first to make room under the limit. The stateful properties predict every
 * address, every byte count and every refusal with it, so any drift of the real region shows.
 *
 * <p>Thread-safety: not thread-safe; one property run owns it.
 */
final class RegionModel {
    static final byte FREE = 0;
    static final byte IDLE = 1;
    static final byte USED = 2;

    final int chunkCount;
    final long chunkBytes;
    final long limitBytes;
    final long decayNanos;
    final byte[] states;
    final long[] idleSince;
    int highWater;
    long committed;
    long used;

    RegionModel(int chunkCount, long chunkBytes, long limitBytes, long decayNanos) {
        this.chunkCount = chunkCount;
        this.chunkBytes = chunkBytes;
        this.limitBytes = limitBytes;
        this.decayNanos = decayNanos;
        this.states = new byte[chunkCount];
        this.idleSince = new long[chunkCount];
    }

    /** The outcome of an acquire: the first chunk and whether it was all freshly committed, or a refusal. */
    record Grant(int first, int count, boolean zeroed) {
        static final Grant REFUSED = new Grant(-1, 0, false);

        boolean refused() {
            return first < 0;
        }
    }

    Grant acquire(long byteSize, long now) {
        if (byteSize > (long) chunkCount * chunkBytes) {
            return Grant.REFUSED;
        }
        int count = (int) ((byteSize + chunkBytes - 1) / chunkBytes);
        decay(now);
        int first = findRun(count);
        if (first < 0) {
            return Grant.REFUSED;
        }
        long toCommit = 0;
        for (int i = first; i < first + count; i++) {
            toCommit += states[i] == FREE ? chunkBytes : 0;
        }
        for (int i = 0; i < highWater && committed + toCommit > limitBytes; i++) {
            if (states[i] == IDLE && (i < first || i >= first + count)) {
                states[i] = FREE;
                committed -= chunkBytes;
            }
        }
        if (committed + toCommit > limitBytes) {
            return Grant.REFUSED;
        }
        Arrays.fill(states, first, first + count, USED);
        committed += toCommit;
        used += (long) count * chunkBytes;
        highWater = Math.max(highWater, first + count);
        return new Grant(first, count, toCommit == (long) count * chunkBytes);
    }

    void release(int first, int count, long now) {
        for (int i = first; i < first + count; i++) {
            states[i] = IDLE;
            idleSince[i] = now;
        }
        used -= (long) count * chunkBytes;
        decay(now);
    }

    long trim() {
        long before = committed;
        for (int i = 0; i < chunkCount; i++) {
            if (states[i] == IDLE) {
                states[i] = FREE;
                committed -= chunkBytes;
            }
        }
        return before - committed;
    }

    private void decay(long now) {
        for (int i = 0; i < highWater; i++) {
            if (states[i] == IDLE && now - idleSince[i] >= decayNanos) {
                states[i] = FREE;
                committed -= chunkBytes;
            }
        }
    }

    private int findRun(int count) {
        if (count == 1) {
            for (int i = 0; i < highWater; i++) {
                if (states[i] == IDLE) {
                    return i;
                }
            }
        }
        int runStart = 0;
        for (int i = 0; i < chunkCount; i++) {
            if (states[i] == USED) {
                runStart = i + 1;
            } else if (i - runStart + 1 == count) {
                return runStart;
            }
        }
        return -1;
    }
}
