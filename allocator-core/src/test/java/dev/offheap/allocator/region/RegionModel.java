package dev.offheap.allocator.region;

import java.util.Arrays;

/**
 * The region's chunk policy written the plain way, one chunk at a time: first fit, an idle chunk
 * preferred for a one-chunk request, decay of chunks idle for the delay, idle chunks outside the run
 * decommitted lowest first to make room under the limit, and the scopes: a released run keeps its
 * scope while idle, an acquire of exactly that run reuses it (preferred over any other run), an
 * acquire that overlaps part of it closes it, and a decommit closes it. The stateful properties predict every
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
    /** Per chunk: the id of the open scope of its run, 0 if none. */
    final long[] scopeOf;
    long nextScope = 1;
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
        this.scopeOf = new long[chunkCount];
    }

    /** The outcome of an acquire: the first chunk and whether it was all freshly committed, or a refusal. */
    record Grant(int first, int count, boolean zeroed, long scope) {
        static final Grant REFUSED = new Grant(-1, 0, false, 0);

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
                decommit(i);
            }
        }
        if (committed + toCommit > limitBytes) {
            return Grant.REFUSED;
        }
        long scope = scopeOf[first];
        if (scope == 0 || !scopeIsExactly(scope, first, count)) {
            for (int i = first; i < first + count; i++) {
                closeScope(scopeOf[i]);
            }
            scope = nextScope++;
            Arrays.fill(scopeOf, first, first + count, scope);
        }
        Arrays.fill(states, first, first + count, USED);
        committed += toCommit;
        used += (long) count * chunkBytes;
        highWater = Math.max(highWater, first + count);
        return new Grant(first, count, toCommit == (long) count * chunkBytes, scope);
    }

    /** {@return whether {@code scope} (an open scope id) is open: segments of it may be read} */
    boolean isOpen(long scope) {
        for (long s : scopeOf) {
            if (s == scope) {
                return true;
            }
        }
        return false;
    }

    private boolean scopeIsExactly(long scope, int first, int count) {
        for (int i = 0; i < chunkCount; i++) {
            if ((scopeOf[i] == scope) != (i >= first && i < first + count)) {
                return false;
            }
        }
        return true;
    }

    private void closeScope(long scope) {
        if (scope == 0) {
            return;
        }
        for (int i = 0; i < chunkCount; i++) {
            if (scopeOf[i] == scope) {
                scopeOf[i] = 0;
            }
        }
    }

    private void decommit(int chunk) {
        closeScope(scopeOf[chunk]);
        states[chunk] = FREE;
        committed -= chunkBytes;
    }

    /** Closes every scope, as the region's close does. */
    void closeAll() {
        Arrays.fill(scopeOf, 0);
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
                decommit(i);
            }
        }
        return before - committed;
    }

    private void decay(long now) {
        for (int i = 0; i < highWater; i++) {
            if (states[i] == IDLE && now - idleSince[i] >= decayNanos) {
                decommit(i);
            }
        }
    }

    private int findRun(int count) {
        for (int i = 0; i < highWater; i++) {
            if (states[i] == IDLE && scopeOf[i] != 0 && (i == 0 || scopeOf[i - 1] != scopeOf[i])
                    && scopeIsExactly(scopeOf[i], i, count)) {
                return i;
            }
        }
        if (count == 1) {
            for (int i = 0; i < highWater; i++) {
                if (states[i] == IDLE && scopeOf[i] == 0) {
                    return i;
                }
            }
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
