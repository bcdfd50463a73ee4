package dev.offheap.allocator.region;

import dev.offheap.allocator.NativeCallException;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.internal.Checks;
import dev.offheap.allocator.jfr.OffHeapEvents;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.MeteredAllocator;
import dev.offheap.allocator.os.VirtualMemory;

import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.LongSupplier;

/**
 * One reserved range of virtual address space, committed on demand in chunks and lent to
 * allocators as {@link Span spans} of whole chunks.
 *
 * <p>Thread-safety: thread-safe. Acquire, release, purge, trim and close take one internal lock:
 * they happen once per chunk (megabytes), never per allocation. The byte counts may be read from
 * any thread without the lock; they are written under it and published through volatile fields.
 * The background committer holds the lock only to pick a chunk and to publish it, never during
 * its syscalls.
 *
 * <h2>Life of a chunk</h2>
 * <pre>
 *   FREE (reserved, PROT_NONE, no memory)
 *     -- acquire: mprotect(READ|WRITE) + pre-fault, on the caller (counted) -->  USED (lent in a span)
 *   FREE -- committer, lock released: mprotect + pre-fault -->  PRECOMMITTING --> IDLE (ready, no owner)
 *   USED -- release: no syscall, the run keeps its scope -->  IDLE (committed, no owner)
 *   IDLE -- acquire of the same run: reused with its scope, no syscall -->  USED
 *   IDLE -- idle longer than the decay delay, trim(), or room needed under the limit:
 *           the run's scope closes, then madvise(DONTNEED) + mprotect(PROT_NONE) -->  FREE
 * </pre>
 * The decay delay keeps a burst from thrashing (as jemalloc's dirty decay does): memory that was
 * just released is reused without a syscall if it is needed again soon. Decay is applied when the
 * region is next used, by {@link #trim()}, and by one shared daemon thread while the region is idle
 * (it holds regions weakly and runs only while some region has idle chunks).
 *
 * <h2>Commit ahead</h2>
 * With {@link Builder#commitAhead(long)} set, a shared daemon thread ({@code offheap-region-commit})
 * keeps that many bytes of chunks committed beyond what is lent, so an acquire finds them IDLE and
 * costs no syscall: the first at {@link Builder#build()}, the next ones each time an acquire leaves
 * fewer ready. A second one ({@code offheap-region-prefault}, under {@code SCHED_IDLE}: it uses
 * only a CPU nobody else wants) faults their pages in, in place, so the first touch of a block
 * costs no page fault either; where it falls behind, a touch faults its page in as with malloc. An acquire commits on its own thread only when
 * the committer fell behind or the run asked for is longer than what is ready; that is counted
 * ({@link #commitsOnCaller()}, {@link #commitOnCallerBytes()}, the snapshot's fields of those
 * names, published as {@code offheap.commit.on.caller}). Ready chunks count as committed, never
 * exceed the limit, and decay like any idle chunk: the committer makes them again only when an
 * acquire asks, so an idle region shrinks to nothing.
 *
 * <h2>Background failures</h2>
 * Decay, the allocators' purge pass and commit ahead run on daemon threads shared by every region.
 * Whatever one region's pass throws is counted ({@link #maintenanceFailures()}), logged, recorded as
 * a JFR {@code dev.offheap.RegionMaintenanceFailure} event, and the daemon carries on with that
 * region's next pass and with every other region.
 *
 * <h2>Accounting, in bytes</h2>
 * {@code reserved} is the range's length; {@code committed} counts USED and IDLE chunks and never
 * exceeds the {@link Builder#limit(long) limit}; {@code used} counts USED chunks.
 *
 * <h2>Safety</h2>
 * Every span's segment is bound to a scope of its run of chunks that is closed before that memory
 * is decommitted or unmapped, so no segment carved from a region can reach memory that is not
 * committed, and {@link #close()} makes every one of them throw on access instead of crashing.
 * After close, {@link #acquire}, {@link #purge}, {@link #trim()} and {@link #checkOpen()} throw
 * {@code IllegalStateException: region is closed: region=NAME}; {@link #release} of a span lent
 * before does nothing (so an allocator's own close after the region's stays quiet). A close racing
 * other threads' calls waits for the one holding the lock, and for the committer's chunk in flight.
 *
 * <p>Release does not close the scope: closing a shared scope is a handshake with every thread
 * (about 0.3 ms), too dear for an allocator that gives a span back and takes one again under churn.
 * The released run keeps its scope while IDLE and the next acquire of exactly that run lends it
 * again, in a new {@link Span} (so a release per lending is still checked) with the same scope and
 * segment. So a segment kept past {@link #release(Span)} stays readable and writable, aliasing
 * whatever is lent there next (as a freed block's segment does in an allocator's unchecked mode),
 * until the run is decommitted (decay, {@link #trim()}, room under the limit), an acquire needs a
 * run that only partly overlaps it (its scope closes then), or the region closes. It never reaches
 * uncommitted memory.
 */
public final class Region implements AutoCloseable, MeteredAllocator {
    /** Default reservation: 64 GiB of address space, which costs no memory until committed. */
    public static final long DEFAULT_RESERVE_BYTES = 64L << 30;
    /** Default chunk: 2 MiB, the unit of commit, decommit and lending (and an x86_64 huge page). */
    public static final long DEFAULT_CHUNK_BYTES = 2L << 20;
    /** Default decay delay before an idle chunk is given back to the OS, as jemalloc's default. */
    public static final Duration DEFAULT_DECAY = Duration.ofSeconds(10);
    /** The largest reservation: 64 TiB, well inside a 47-bit user address space. */
    public static final long MAX_RESERVE_BYTES = 1L << 46;
    /**
     * Default commit ahead of a region built directly: none, so a region commits exactly what it
     * lends (the figures its users and their tests read). A service turns it on with
     * {@link Builder#commitAhead(long)}, one chunk ({@link #chunkBytes()}) being enough for growth
     * one span at a time; see {@code docs/region.md}.
     */
    public static final long DEFAULT_COMMIT_AHEAD_BYTES = 0;

    private static final System.Logger LOG = System.getLogger(Region.class.getName());

    /** Chunks the per-chunk tables hold at first; they double as chunks are used. */
    private static final int INITIAL_TABLE_LENGTH = 16;
    private static final byte FREE = 0;
    private static final byte IDLE = 1;
    private static final byte USED = 2;
    /**
     * Being committed and pre-faulted by the background committer, without the lock: counted in
     * {@code committed} (so the limit holds), lent to nobody, never decommitted or unmapped until
     * the committer is done with it (close waits).
     */
    private static final byte PRECOMMITTING = 3;
    /**
     * What one pre-fault call of the pre-faulter covers. A commit ({@code mprotect}) waits for the
     * call in progress, and page faults of the application wait behind the commit; in 256 KiB
     * slices that wait is a fraction of the whole chunk's (2 MiB: 0.5 to 3 ms on a 2-core VM).
     * Measured with {@code GrowthLatencyMain}: operations over 1 ms while growing to 1 GiB 29 with
     * whole chunks, 0 to 4 with 256 KiB slices, 3 with 64 KiB.
     */
    private static final long PREFAULT_SLICE_BYTES = 256 << 10;
    private static final int PREFAULT_UNKNOWN = 0;
    private static final int PREFAULT_IN_PLACE = 1;
    private static final int PREFAULT_WRITING = 2;
    /** {@link #idleSince} of a chunk committed by the acquire in progress, not yet lent. */
    private static final long COMMITTING = Long.MAX_VALUE;

    private final String name;
    private final VirtualMemory memory;
    private final LongSupplier nanoClock;
    private final long mappingAddress;
    private final long mappingBytes;
    private final long base;
    private final long chunkBytes;
    private final int chunkShift;
    private final int chunkCount;
    private final long limitBytes;
    private final long decayNanos;
    private final boolean hugePages;
    /** Whether the shared {@link RegionDecayDaemon} visits this region while it is idle. */
    private final boolean backgroundDecay;
    /** Idle committed chunks the {@link RegionCommitter} keeps ready; 0 turns it off. */
    private final int aheadChunks;

    private final Object lock = new Object();
    // The per-chunk tables below cover the chunks up to the highest one ever used (at least
    // highWater), grown by doubling (ensureChunks): a chunk past them is FREE, with no scope. So a
    // large reservation costs the heap nothing until it is used.
    /** Per chunk: FREE, IDLE or USED. Guarded by {@link #lock}. */
    private byte[] states;
    /** Per IDLE chunk: when it became idle, in {@link #nanoClock} nanoseconds. Guarded by {@link #lock}. */
    private long[] idleSince;
    /** Per chunk: committed and never lent since, so every byte is zero. Guarded by {@link #lock}. */
    private boolean[] fresh;
    /**
     * Chunks committed with their pre-fault left to the {@link RegionCommitter#PREFAULTER}, in commit
     * order. Lock-free, because the pre-faulter runs under {@code SCHED_IDLE} and must take none of
     * this region's locks: preempted while holding one, it would hold up the application's threads
     * until the scheduler had a CPU to spare for it. A chunk decommitted before its turn is
     * pre-faulted in vain or refused (see {@link #prefaultOne()}), never left resident.
     */
    private final ConcurrentLinkedQueue<Queued> toPrefault = new ConcurrentLinkedQueue<>();
    /**
     * The chunk the pre-faulter works on now, or -1. Written by the pre-faulter, read by close,
     * which waits for it (a Dekker pair with {@link #closed}: the pre-faulter writes this, then
     * reads {@code closed}; close writes {@code closed}, then reads this), so no pre-fault runs on a
     * range once it is unmapped and perhaps mapped again by someone else.
     */
    private volatile int prefaulting = -1;
    /** Decommits and purges begun: a pre-fault refused after this moved since its chunk was queued met one of them. */
    private volatile long decommitsBegun;

    /** A chunk for the pre-faulter, with {@link #decommitsBegun} when it was queued. */
    private record Queued(int chunk, long decommitsBegun) {
    }
    /**
     * Per chunk: the scope of the run it belongs to while USED or IDLE, or null (always null while
     * FREE: a scope closes before its memory is decommitted). Guarded by {@link #lock}.
     */
    private SpanScope[] scopes;
    /** Chunks at or above this index have never left FREE. Guarded by {@link #lock}. */
    private int highWater;
    /** Guarded by {@link #lock}. */
    private int idleChunks;
    /** Spans lent and not released, so close can close their scopes. Guarded by {@link #lock}. */
    private final Set<Span> liveSpans = Collections.newSetFromMap(new IdentityHashMap<>());

    // Written under the lock, read anywhere: volatile publishes each new value.
    private volatile long committedBytes;
    private volatile long usedBytes;
    /** The most bytes committed at once since the region was made; written under {@link #lock}. */
    private volatile long peakCommittedBytes;
    private volatile long decommittedBytesTotal;
    private volatile long purgedBytesTotal;
    /** Run by the decay daemon after a decay delay once {@link #requestPurge()} asked; null if none. */
    private volatile Runnable purgeTask;
    /** Run once, after the region closes for use: allocators whose segments must die with it. */
    private final List<Runnable> closeTasks = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Run by close between "closed for use" and the unmap, outside the lock; kept until they all pass. */
    private final List<Runnable> unmapTasks = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Whether a purge pass is scheduled and has not started: requests before it starts are merged. */
    private volatile boolean purgeRequested;
    private volatile long decommitFailures;
    // Metrics, written under the lock (once per span, never per allocation), volatile for snapshot().
    private volatile long spansAcquired;
    private volatile long spansReleased;
    private volatile long failedAcquires;
    private volatile boolean closed;
    /** Whether the range is unmapped; a refused munmap leaves it closed but mapped. Guarded by {@link #lock}. */
    private boolean unmapped;
    /** Whether the committer is committing a chunk without the lock now. Guarded by {@link #lock}. */
    private boolean precommitInFlight;
    /**
     * How the kernel pre-faults: {@link #PREFAULT_UNKNOWN} until the committer's first chunk
     * finds out, then {@link #PREFAULT_IN_PLACE} ({@link VirtualMemory#populateInPlace}) or
     * {@link #PREFAULT_WRITING} (a kernel before 5.14). With the writing kind, and until it is
     * known, a ready chunk is pre-faulted before it is made idle and a caller's own commit
     * pre-faults on the caller. Written under {@link #lock} but for the pre-faulter's one write
     * (volatile, so that one needs no lock).
     */
    private volatile int prefaultKind = PREFAULT_UNKNOWN;
    /**
     * Whether an acquire asked the committer to get chunks ready since the last top-up or trim:
     * the committer commits only on demand, so an idle region's ready chunks decay and stay gone.
     * Guarded by {@link #lock}.
     */
    private boolean topUpWanted;
    // Commit-ahead metrics, written under the lock, volatile for snapshot().
    private volatile long commitsOnCaller;
    private volatile long commitOnCallerBytes;
    private volatile long precommittedBytesTotal;
    /** Atomic, not under the lock: the pre-faulter counts its failures too and takes no lock. */
    private final java.util.concurrent.atomic.AtomicLong maintenanceFailures = new java.util.concurrent.atomic.AtomicLong();

    private Region(Builder b) {
        this.name = b.name;
        this.memory = b.memory;
        this.nanoClock = b.nanoClock;
        this.backgroundDecay = b.backgroundDecay;
        long pageSize = memory.pageSize();
        this.chunkBytes = Checks.checkPowerOfTwo("chunkBytes", b.chunkBytes, pageSize, 1L << 30);
        this.chunkShift = Long.numberOfTrailingZeros(chunkBytes);
        long reserve = Checks.alignUp(b.reserveBytes, chunkBytes);
        this.chunkCount = Math.toIntExact(reserve >>> chunkShift);
        this.limitBytes = b.limitBytes;
        this.decayNanos = b.decay.toNanos();
        this.hugePages = b.hugePages;
        int atFirst = Math.min(chunkCount, INITIAL_TABLE_LENGTH);
        this.states = new byte[atFirst];
        this.idleSince = new long[atFirst];
        this.fresh = new boolean[atFirst];
        this.scopes = new SpanScope[atFirst];
        // Reserve one chunk more than asked so the usable range can start on a chunk boundary:
        // chunk-aligned spans suit huge pages and let an address find its chunk with a shift.
        this.mappingBytes = reserve + chunkBytes;
        // With no decay a ready chunk would be given back at the next release: nothing to keep.
        this.aheadChunks = b.decay.isZero() ? 0
                : (int) Math.min(chunkCount, (b.commitAheadBytes + chunkBytes - 1) >>> chunkShift);
        this.mappingAddress = memory.reserve(mappingBytes);
        this.base = Checks.alignUp(mappingAddress, chunkBytes);
        prepareForFirstUse();
    }

    /**
     * Cold start, paid here and not in the first acquire: initialises the classes an acquire needs
     * (the JFR event classes cost most, hundreds of milliseconds on a loaded VM), links the
     * downcalls of commit and decommit, and commits the first ready chunks on the builder's thread.
     * A refused pre-commit is counted as a maintenance failure and leaves the chunk to the first acquire.
     */
    private void prepareForFirstUse() {
        ColdStart.initialiseClasses();
        try {
            memory.warmUp(base);
        } catch (RuntimeException e) {
            reportMaintenanceFailure("warm-up", e); // the first real call links instead
        }
        if (aheadChunks > 0) {
            synchronized (lock) {
                topUpWanted = true;
            }
            topUp();
            prefault();
            RegionCommitter.COMMITTER.register(this);
            RegionCommitter.PREFAULTER.register(this);
        }
    }

    /** {@return a builder with the defaults: 64 GiB reserved, 2 MiB chunks, no limit, 10 s decay, no commit ahead} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return a region with every default, named "region"} */
    public static Region ofDefaults() {
        return builder().build();
    }

    /** {@return the name given at build time, used in messages and metrics} */
    public String name() {
        return name;
    }

    /** {@return the length of the reserved range in bytes} */
    public long reservedBytes() {
        return (long) chunkCount << chunkShift;
    }

    /** {@return the bytes committed now (lent plus idle), never above the limit} */
    public long committedBytes() {
        return committedBytes;
    }

    /** {@return the bytes lent to allocators now} */
    public long usedBytes() {
        return usedBytes;
    }

    /** {@return the most bytes committed at once since the region was made (kept after close)} */
    public long peakCommittedBytes() {
        return peakCommittedBytes;
    }

    /** {@return the limit on committed bytes; {@link Long#MAX_VALUE} if there is none} */
    public long limitBytes() {
        return limitBytes;
    }

    /**
     * {@return the bytes the background committer keeps committed and pre-faulted beyond what is
     * lent, as built; 0 when commit ahead is off (also when the decay delay is zero)}
     */
    public long commitAheadBytes() {
        return (long) aheadChunks << chunkShift;
    }

    /**
     * {@return how many acquires waited for a commit on the calling thread since the region was
     * made although commit ahead is on, because the background committer had not got enough ready:
     * they committed fresh memory themselves (the committer fell behind, or the run asked for was
     * longer than what it keeps ready), or waited for the rest of the committer's chunk in flight.
     * Always 0 with commit ahead off, where every commit is the caller's by design}
     */
    public long commitsOnCaller() {
        return commitsOnCaller;
    }

    /**
     * {@return the bytes of the commits the acquires {@link #commitsOnCaller()} counts waited for:
     * what they committed themselves, or the whole chunk of the committer's they waited for}
     */
    public long commitOnCallerBytes() {
        return commitOnCallerBytes;
    }

    /** {@return the bytes the background committer committed and pre-faulted ahead of need since the region was made} */
    public long precommittedBytesTotal() {
        return precommittedBytesTotal;
    }

    /**
     * {@return how many background passes of this region (decay, the allocators' purge pass, commit
     * ahead, warm-up) failed since it was made; each was logged and recorded as a JFR
     * {@code dev.offheap.RegionMaintenanceFailure} event, and the region carried on}
     */
    public long maintenanceFailures() {
        return maintenanceFailures.get();
    }

    /** {@return the bytes given back to the OS since the region was made} */
    public long decommittedBytesTotal() {
        return decommittedBytesTotal;
    }

    /**
     * {@return the bytes of lent spans whose memory was given back to the OS by {@link #purge}
     * since the region was made (they stay committed and counted in {@link #committedBytes()})}
     */
    public long purgedBytesTotal() {
        return purgedBytesTotal;
    }

    /** {@return how many decommits the kernel refused during background decay or while undoing a failed commit} */
    public long decommitFailures() {
        return decommitFailures;
    }

    /** {@return the unit of commit and lending, in bytes} */
    public long chunkBytes() {
        return chunkBytes;
    }

    /** {@return the address of the first chunk} */
    public long baseAddress() {
        return base;
    }

    /** {@return whether {@link #close()} has run} */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Throws if the region is closed, with the message every method of a closed region throws, so
     * that an allocator over it can refuse a call the same way before it touches a span.
     *
     * <p>Thread-safety: thread-safe; one volatile read.
     *
     * @throws IllegalStateException {@code region is closed: region=NAME} if {@link #close()} has run
     */
    public void checkOpen() {
        ensureOpen();
    }

    /**
     * Lends a run of whole chunks, committed and pre-faulted, at least {@code byteSize} long.
     * An idle run released with exactly this length is reused first, with its scope (no syscall, no
     * scope close); then idle committed chunks; the lowest addresses are preferred, which keeps the
     * used part of the range compact. If the run chosen overlaps part of an idle run's scope, that
     * scope closes first: segments kept from that run's earlier lendings throw from then on.
     *
     * @param byteSize the least number of bytes wanted; rounded up to whole chunks
     * @return the span
     * @throws IllegalArgumentException if {@code byteSize <= 0}
     * @throws OutOfOffHeapMemoryException if the reservation has no run that long free, or
     *         committing it would exceed the limit even after idle chunks are decommitted
     * @throws NativeCallException if the kernel refuses to commit; nothing is lent or counted then
     * @throws IllegalStateException if the region is closed, or a segment kept from an earlier
     *         lending of the run it needs is in use by a native call right now (nothing is lent then)
     */
    public Span acquire(long byteSize) {
        Checks.checkPositive("byteSize", byteSize);
        if (byteSize > reservedBytes()) {
            throw outOfMemory("request exceeds the reservation", byteSize, reservedBytes());
        }
        int count = (int) ((byteSize + chunkBytes - 1) >>> chunkShift);
        synchronized (lock) {
            boolean waited = false;
            while (true) {
                ensureOpen();
                long now = nanoClock.getAsLong();
                decayIdle(now, false);
                int first = findRun(count);
                long toCommit = first < 0 ? 0 : freeChunksIn(first, count) << chunkShift;
                if (precommitInFlight && (first < 0 || (count == 1 && toCommit > 0))) {
                    // No idle chunk, and the committer is making one: what is left of its commit is
                    // never longer than a commit of another chunk here, and keeps the range compact.
                    awaitPrecommit();
                    waited = true;
                    continue;
                }
                if (first < 0) {
                    throw outOfMemory("no free run of " + count + " chunks left in the reservation",
                            (long) count << chunkShift, reservedBytes());
                }
                if (committedBytes + toCommit > limitBytes) {
                    makeRoomUnderLimit(toCommit, first, count);
                    if (committedBytes + toCommit > limitBytes && precommitInFlight) {
                        // The committer holds a chunk of the limit: wait for it to be ready, then use it.
                        awaitPrecommit();
                        waited = true;
                        continue;
                    }
                    if (committedBytes + toCommit > limitBytes) {
                        throw outOfMemory("limit on committed bytes reached", (long) count << chunkShift, limitBytes);
                    }
                }
                return lend(first, count, toCommit, waited, now);
            }
        }
    }

    /** Commits what the run lacks and lends it; the caller holds the lock and has checked the limit. */
    private Span lend(int first, int count, long toCommit, boolean waited, long now) {
        SpanScope scope = scopeToReuse(first, count);
        commitFreeChunks(first, count, now); // what it leaves to the pre-faulter, requestTopUpIfLow asks for
        if (aheadChunks > 0 && (toCommit > 0 || waited)) { // without a committer there is nothing to fall behind
            commitsOnCaller++;
            commitOnCallerBytes += toCommit > 0 ? toCommit : chunkBytes;
        }
        boolean zeroed = true; // every chunk committed since it was last lent: the kernel's zeros
        for (int i = first; i < first + count; i++) {
            zeroed &= fresh[i];
            fresh[i] = false;
        }
        if (scope == null) {
            scope = new SpanScope(first, count, addressOf(first), (long) count << chunkShift);
            for (int i = first; i < first + count; i++) {
                scopes[i] = scope;
            }
        }
        for (int i = first; i < first + count; i++) {
            if (states[i] == IDLE) {
                idleChunks--;
            }
            states[i] = USED;
        }
        highWater = Math.max(highWater, first + count);
        usedBytes += (long) count << chunkShift;
        Span span = new Span(this, addressOf(first), (long) count << chunkShift, zeroed, scope);
        liveSpans.add(span);
        spansAcquired++;
        requestTopUpIfLow();
        OffHeapEvents.emitLargeAllocation(name, span.byteSize());
        return span;
    }

    /**
     * Asks the committer for ready chunks if fewer than it keeps are idle, and the pre-faulter for
     * the chunks left to it; the caller holds the lock. Either, at work, re-reads what is wanted
     * when its current chunk is done, so it is asked only when it is not at work.
     */
    private void requestTopUpIfLow() {
        if (aheadChunks == 0) {
            return;
        }
        boolean wantMore = idleChunks < aheadChunks && committedBytes + chunkBytes <= limitBytes;
        if (wantMore) {
            topUpWanted = true;
        }
        if (wantMore && !precommitInFlight) {
            RegionCommitter.COMMITTER.request(this); // lock order: region, then committer
        }
        requestPrefaultIfWanted();
    }

    /** Asks the pre-faulter for the chunks left to it unless it is at work. */
    private void requestPrefaultIfWanted() {
        if (!toPrefault.isEmpty() && prefaulting < 0) {
            RegionCommitter.PREFAULTER.request(this); // lock-free: see toPrefault
        }
    }

    /**
     * Waits, with the lock released, until the committer's chunk in flight is ready or undone. Not
     * interruptible (the wait is one chunk's commit): an interrupt is kept for the caller.
     */
    private void awaitPrecommit() {
        boolean interrupted = false;
        while (precommitInFlight) {
            try {
                lock.wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Commits chunks ahead of need until {@link #commitAheadBytes()} are idle and committed, for the
     * {@link RegionCommitter#COMMITTER} (and at build): one chunk at a time, the lowest free one
     * (where the next first-fit acquire looks), with the lock released during the syscalls so no
     * acquire waits for them. An {@code mprotect} each, microseconds: the pre-faults, a fraction of
     * a millisecond per chunk, are the {@link #prefault() pre-faulter's}, so they never delay a
     * commit. Never past the limit. Commits nothing unless an acquire asked since the last top-up,
     * so an idle region's ready chunks decay like any idle chunk and are not made again. A refused
     * commit is undone, reported as a maintenance failure, and ends the top-up. Until the kind of
     * pre-fault the kernel has is known (the first chunk), and where it can only write, a chunk is
     * pre-faulted here, before anyone can be lent it.
     */
    void topUp() {
        while (precommitOne()) {
            // one chunk per pass, the lock released between them
        }
    }

    /**
     * Pre-faults in place every chunk committed without it, for the {@link RegionCommitter#PREFAULTER}
     * (and at build): in the order they were committed, one at a time, taking no lock of the
     * region. A chunk may be lent while it runs; a page its user touched first is left as it is. A
     * refused pre-fault is reported and leaves the chunk committed, its pages faulted in by their
     * first touch.
     */
    void prefault() {
        while (prefaultOne()) {
            // one chunk per pass
        }
    }

    private boolean precommitOne() {
        int chunk;
        int kind;
        synchronized (lock) {
            if (closed || !topUpWanted || precommitInFlight) {
                return false;
            }
            chunk = idleChunks >= aheadChunks || committedBytes + chunkBytes > limitBytes ? -1 : lowestFreeChunk();
            if (chunk < 0) {
                topUpWanted = false;
                return false;
            }
            states[chunk] = PRECOMMITTING;
            committedBytes += chunkBytes; // held against the limit from now on
            peakCommittedBytes = Math.max(peakCommittedBytes, committedBytes);
            highWater = Math.max(highWater, chunk + 1);
            precommitInFlight = true;
            kind = prefaultKind;
        }
        long address = addressOf(chunk);
        boolean committed = false;
        Throwable failure = null;
        try {
            memory.commit(address, chunkBytes);
            committed = true;
            if (hugePages) {
                memory.adviseHugePages(address, chunkBytes);
            }
        } catch (Throwable t) {
            failure = t;
        }
        int learnt = kind;
        Throwable prefaultFailure = null;
        if (failure == null && kind != PREFAULT_IN_PLACE) {
            try {
                learnt = prefaultBeforeLending(address, kind);
            } catch (Throwable t) {
                prefaultFailure = t; // the commit stands: its pages fault in at their first touch
            }
        }
        synchronized (lock) {
            precommitInFlight = false;
            lock.notifyAll(); // wakes a close, a trim or an acquire waiting for this chunk
            if (failure == null) {
                prefaultKind = learnt;
                becomeIdle(chunk);
                fresh[chunk] = true;
                if (kind == PREFAULT_IN_PLACE) {
                    toPrefault.add(new Queued(chunk, decommitsBegun)); // now that it is ready: the pre-faulter's
                    requestPrefaultIfWanted();
                }
                precommittedBytesTotal += chunkBytes;
                OffHeapEvents.emitRegionCommit(name, chunkBytes, committedBytes);
            } else {
                undoPrecommit(chunk, committed, failure);
            }
        }
        if (failure != null) {
            reportMaintenanceFailure("commit-ahead", failure);
            return false;
        }
        if (prefaultFailure != null) {
            reportMaintenanceFailure("pre-fault", prefaultFailure);
        }
        return true;
    }

    /**
     * Pre-faults a chunk nobody can be lent yet (PRECOMMITTING), learning the kernel's kind on the
     * first: {@return the kind, known from now on}
     */
    private int prefaultBeforeLending(long address, int kind) {
        if (kind == PREFAULT_UNKNOWN && memory.populateInPlace(address, chunkBytes)) {
            return PREFAULT_IN_PLACE;
        }
        memory.populate(address, chunkBytes); // may write zeros: only before anyone holds the chunk
        return PREFAULT_WRITING;
    }

    /**
     * Pre-faults the next chunk left to the pre-faulter, in place, taking no lock: {@return whether
     * there was one} The chunk may be lent, released or decommitted meanwhile. Lent: a page its user
     * touched first is left as it is. Decommitted: the decommit makes the range {@code PROT_NONE}
     * before it gives the pages back ({@link VirtualMemory#decommit}), so the pre-fault either
     * faults pages in that the decommit then drops, or is refused; a refusal that met a decommit
     * is expected and not reported. Committed again by then: the pages are faulted in early.
     */
    private boolean prefaultOne() {
        Queued next = toPrefault.poll();
        if (next == null) {
            return false;
        }
        int chunk = next.chunk();
        prefaulting = chunk;
        try {
            if (closed) {
                toPrefault.clear();
                return false;
            }
            try {
                long slice = Math.min(chunkBytes, PREFAULT_SLICE_BYTES);
                for (long off = 0; off < chunkBytes && !closed; off += slice) {
                    if (!memory.populateInPlace(addressOf(chunk) + off, slice)) {
                        prefaultKind = PREFAULT_WRITING; // only where the memory calls lost it since the first chunk
                        break;
                    }
                }
            } catch (RuntimeException e) {
                if (decommitsBegun == next.decommitsBegun()) {
                    reportMaintenanceFailure("pre-fault", e); // the chunk stays committed: its pages fault in at first touch
                }
            }
            return true;
        } finally {
            prefaulting = -1;
        }
    }

    /** A chunk the committer made ready joins the idle ones and decays like them; the caller holds the lock. */
    private void becomeIdle(int chunk) {
        states[chunk] = IDLE;
        idleSince[chunk] = nanoClock.getAsLong();
        idleChunks++;
        if (backgroundDecay) {
            RegionDecayDaemon.schedule(this, decayNanos);
        }
    }

    /** Gives back a chunk whose pre-commit failed; if the kernel refuses, it stays IDLE, counted, for decay. */
    private void undoPrecommit(int chunk, boolean committed, Throwable failure) {
        if (committed) {
            try {
                memory.decommit(addressOf(chunk), chunkBytes);
            } catch (RuntimeException undo) {
                failure.addSuppressed(undo);
                decommitFailures++;
                becomeIdle(chunk);
                return;
            }
        }
        states[chunk] = FREE;
        committedBytes -= chunkBytes;
    }

    /** {@return the lowest FREE chunk, or -1}; the caller holds the lock */
    private int lowestFreeChunk() {
        for (int i = 0; i < chunkCount; i++) {
            if (stateOf(i) == FREE) {
                ensureChunks(i + 1);
                return i;
            }
        }
        return -1;
    }

    /** {@return a chunk's state; FREE past the tables} The caller holds the lock. */
    private byte stateOf(int chunk) {
        return chunk < states.length ? states[chunk] : FREE;
    }

    /** Grows the per-chunk tables to hold chunks below {@code end}; the caller holds the lock. */
    private void ensureChunks(int end) {
        if (end > states.length) {
            int length = Math.min(chunkCount, Math.max(end, 2 * states.length));
            states = java.util.Arrays.copyOf(states, length);
            idleSince = java.util.Arrays.copyOf(idleSince, length);
            fresh = java.util.Arrays.copyOf(fresh, length);
            scopes = java.util.Arrays.copyOf(scopes, length);
        }
    }

    /**
     * Counts and reports a failed background pass: a WARNING through {@link System.Logger}, a JFR
     * {@code dev.offheap.RegionMaintenanceFailure} event, and {@link #maintenanceFailures()}. Never
     * throws: it runs on the daemons, whose other regions must carry on.
     */
    void reportMaintenanceFailure(String task, Throwable failure) {
        maintenanceFailures.incrementAndGet();
        try {
            LOG.log(System.Logger.Level.WARNING, "region maintenance failed, carrying on: region=" + name
                    + ", task=" + task, failure);
            OffHeapEvents.emitRegionMaintenanceFailure(name, task, failure);
        } catch (Throwable ignored) {
            // reporting must not stop the daemon; the counter above already has it
        }
    }

    /**
     * Takes a span back, without a syscall or a scope close: its chunks become idle, keep their
     * scope, and are decommitted once the decay delay has passed. A segment carved from the span
     * stays readable and writable (it aliases whatever the region lends there next) until that
     * memory is decommitted or the region closes, and throws from then on; it never reaches
     * uncommitted memory. Releasing a span of a region that is already closed does nothing.
     *
     * @param span a span this region lent
     * @throws IllegalArgumentException if the span belongs to another region
     * @throws IllegalStateException if this lending of the span was released already
     */
    public void release(Span span) {
        release(span, false);
    }

    /**
     * Takes a span back as {@link #release(Span)} does, but closes its run's scope first, so every
     * segment carved from it throws from now on whatever becomes of the memory. The close is a
     * handshake with every thread (about 0.3 ms): for owners that promise their segments die with
     * them, as an arena's close does, not for a churn of spans.
     *
     * @param span a span this region lent
     * @throws IllegalArgumentException if the span belongs to another region
     * @throws IllegalStateException if this lending of the span was released already, or one of its
     *         segments is in use by a native call right now (the span is then still lent: release
     *         it again later)
     */
    public void releaseAndInvalidate(Span span) {
        release(span, true);
    }

    private void release(Span span, boolean invalidate) {
        if (span.region() != this) {
            throw new IllegalArgumentException("span belongs to another region: span=" + span
                    + ", region=" + name + ", owner=" + span.region().name);
        }
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (span.released) {
                throw new IllegalStateException("span released twice: span=" + span + ", region=" + name);
            }
            if (invalidate) {
                closeScope(span.scope()); // first: it may refuse while a native call uses the memory
            }
            span.released = true;
            liveSpans.remove(span);
            long now = nanoClock.getAsLong();
            int first = indexOf(span.address());
            int count = (int) (span.byteSize() >>> chunkShift);
            for (int i = first; i < first + count; i++) {
                states[i] = IDLE;
                idleSince[i] = now;
            }
            idleChunks += count;
            usedBytes -= span.byteSize();
            spansReleased++;
            decayIdle(now, false);
            if (idleChunks > 0 && backgroundDecay) {
                // Decay also while nobody uses the region. With a zero delay a chunk is still idle
                // only because the kernel refused its decommit: retry later, not at once.
                RegionDecayDaemon.schedule(this, decayNanos > 0 ? decayNanos : RegionDecayDaemon.RETRY_AFTER_FAILURE_NANOS);
            }
        }
    }

    /**
     * Gives the physical memory of whole pages inside a span still lent back to the OS
     * ({@code madvise(MADV_DONTNEED)}), keeping them committed, mapped and accessible: the next
     * touch of such a page faults in a zero page, so every segment that reaches them reads zeros
     * and none can crash. For an allocator whose free space inside a span it keeps (an empty slab
     * page, a large free block) should stop costing resident memory. A syscall: call it off the
     * allocate and free fast paths. The bytes stay in {@link #committedBytes()} and are counted in
     * {@link #purgedBytesTotal()} (and in the snapshot's {@code decommittedBytes}).
     *
     * @param span a span this region lent and the caller still holds
     * @param offset the first byte, from the span's start; a multiple of {@link #pageSize()}
     * @param byteSize the bytes to purge; a multiple of {@link #pageSize()}, within the span
     * @throws IllegalArgumentException if the span belongs to another region, or the range is not
     *         page-aligned or not inside the span
     * @throws IllegalStateException if this lending of the span was released, or the region is closed
     * @throws NativeCallException if the kernel refuses; the memory is then as it was
     */
    public void purge(Span span, long offset, long byteSize) {
        if (span.region() != this) {
            throw new IllegalArgumentException("span belongs to another region: span=" + span
                    + ", region=" + name + ", owner=" + span.region().name);
        }
        long page = memory.pageSize();
        Checks.checkNotNegative("offset", offset);
        Checks.checkNotNegative("byteSize", byteSize);
        if (((offset | byteSize) & (page - 1)) != 0) {
            throw new IllegalArgumentException("offset and byteSize must be multiples of the page size: offset="
                    + offset + ", byteSize=" + byteSize + ", pageSize=" + page);
        }
        if (byteSize > span.byteSize() - offset) {
            throw new IllegalArgumentException("range must lie inside the span: offset=" + offset
                    + ", byteSize=" + byteSize + ", spanBytes=" + span.byteSize());
        }
        if (byteSize == 0) {
            return;
        }
        synchronized (lock) { // so the span cannot go back, and its memory to another owner, meanwhile
            ensureOpen();
            if (span.released) {
                throw new IllegalStateException("span was released: span=" + span + ", region=" + name);
            }
            decommitsBegun++; // a pre-fault of these pages may fault them in again: zeros, as after the purge
            memory.purge(span.address() + offset, byteSize);
            purgedBytesTotal += byteSize;
        }
    }

    /**
     * Sets the pass that purges the free space of the allocators over this region (see
     * {@link #purge}); the shared decay daemon runs it, without the region's lock, one decay delay
     * after {@link #requestPurge()} first asks (requests until it starts are merged). Only when
     * background decay is on.
     *
     * <p>Thread-safety: thread-safe; call it once, when the allocators are built.
     *
     * @param task the purge pass; it must not throw but for a closed allocator, which is ignored
     */
    public void purgeOnDecay(Runnable task) {
        this.purgeTask = java.util.Objects.requireNonNull(task, "task");
    }

    /**
     * Runs {@code task} once this region has closed for use, on the thread that closes it, outside
     * the region's lock (at once if it is closed already): for an allocator that keeps its blocks
     * elsewhere but must end with this region, as a checked slab does, so that segments handed out
     * over this region throw after its close.
     *
     * <p>Thread-safety: thread-safe.
     *
     * @param task the work; what it throws is thrown by {@link #close()} after every task has run
     * @see #beforeUnmap(Runnable)
     */
    public void onClose(Runnable task) {
        closeTasks.add(java.util.Objects.requireNonNull(task, "task"));
        if (closed && closeTasks.remove(task)) {
            task.run();
        }
    }

    /**
     * Runs {@code task} when this region closes, after it is closed for use (every method but close
     * refuses, every span scope is closed) and before its range is unmapped, on the thread that
     * closes it, outside the region's lock (so the task may take an allocator's lock even if that
     * allocator calls this region under it). For an allocator that binds blocks over this region to
     * scopes of its own (checked mode): the task closes them, so that no segment can reach the range
     * once it is unmapped, even on a thread racing the close.
     *
     * <p>If the task throws, the range stays mapped and {@link #close()} throws that; a later close
     * runs the tasks again (so a task must be idempotent) and unmaps once they all pass. A task
     * added after the unmap is not run.
     *
     * {@snippet :
     * Arena blockScope = Arena.ofShared();
     * MemorySegment block = span.segment().asSlice(0, 64).reinterpret(blockScope, null);
     * region.beforeUnmap(() -> {
     *     if (blockScope.scope().isAlive()) {
     *         blockScope.close(); // block throws from here on, before the range goes
     *     }
     * });
     * }
     *
     * <p>Thread-safety: thread-safe.
     *
     * @param task closes the caller's scopes over this region; idempotent
     */
    public void beforeUnmap(Runnable task) {
        unmapTasks.add(java.util.Objects.requireNonNull(task, "task"));
    }

    /**
     * Forgets a task given to {@link #onClose} or {@link #beforeUnmap}: for an allocator that closes
     * before its region, so that a long-lived region does not keep every allocator ever built over
     * it reachable. Nothing happens if the task was not given (or has run).
     *
     * <p>Thread-safety: thread-safe.
     *
     * @param task the very object given before
     */
    public void forget(Runnable task) {
        closeTasks.remove(task);
        unmapTasks.remove(task);
    }

    /**
     * Asks for a purge pass one decay delay from now, as {@link #release} schedules decay: for an
     * allocator whose free space inside a span grew (a page fell empty, a large free block formed).
     * Cheap when a pass is already scheduled (one volatile read); else it wakes the daemon. No
     * effect without a {@link #purgeOnDecay purge task} or background decay.
     *
     * <p>Thread-safety: thread-safe; takes no lock of the region's.
     */
    public void requestPurge() {
        if (purgeRequested || purgeTask == null || !backgroundDecay || closed) {
            return;
        }
        purgeRequested = true; // volatile: merges the requests of other threads until the pass starts
        RegionDecayDaemon.schedule(this, decayNanos);
    }

    /** Runs the purge pass if one was requested, for the {@link RegionDecayDaemon}; no lock held. */
    void runRequestedPurge() {
        Runnable task = purgeTask;
        if (!purgeRequested || task == null || closed) {
            return;
        }
        purgeRequested = false; // volatile: a request from now on schedules the next pass
        try {
            task.run();
        } catch (IllegalStateException e) {
            if (!closed && !isClosedMessage(e)) {
                reportMaintenanceFailure("purge", e);
            } // else an allocator or the region closed while the pass ran: nothing left to purge
        } catch (Throwable t) {
            // The daemon's other regions must carry on; the next request schedules the next pass.
            reportMaintenanceFailure("purge", t);
        }
    }

    /** {@return whether {@code e} says an allocator or region is closed, the one failure a purge pass may meet} */
    private static boolean isClosedMessage(IllegalStateException e) {
        String message = e.getMessage();
        return message != null && (message.startsWith("allocator is closed") || message.startsWith("region is closed")
                || message.equals("Already closed"));
    }

    /** {@return the OS page size in bytes: the unit of {@link #purge}} */
    public long pageSize() {
        return memory.pageSize();
    }

    /**
     * Applies decay now, for the {@link RegionDecayDaemon}.
     *
     * @return the nanoseconds until the next idle chunk decays, or -1 if none is idle or the region is closed
     */
    long decayNow() {
        synchronized (lock) {
            if (closed) {
                return -1;
            }
            long now = nanoClock.getAsLong();
            decayIdle(now, false);
            long oldest = Long.MAX_VALUE;
            for (int i = 0; i < highWater && idleChunks > 0; i++) {
                if (states[i] == IDLE) {
                    oldest = Math.min(oldest, idleSince[i]);
                }
            }
            return oldest == Long.MAX_VALUE ? -1 : Math.max(0, oldest + decayNanos - now);
        }
    }

    /**
     * Gives every idle chunk back to the OS now, whatever the decay delay.
     *
     * @return the bytes decommitted
     * @throws NativeCallException if the kernel refuses; the chunks not yet decommitted stay
     *         committed and counted as such
     * @throws IllegalStateException if the region is closed, or a segment kept from a released
     *         span is in use by a native call right now (its chunks stay committed)
     */
    public long trim() {
        synchronized (lock) {
            ensureOpen();
            topUpWanted = false; // trim means "give back": no ready chunk is made again until an acquire asks
            awaitPrecommit();
            ensureOpen();
            long before = committedBytes;
            decayIdle(Long.MAX_VALUE, true);
            return before - committedBytes;
        }
    }

    /**
     * Closes the scope of every run lent or idle, so that all segments carved from this region throw
     * on access, then unmaps the whole range. Idempotent. The range is unmapped
     * {@link VirtualMemory#unmapGrace() a grace period} after the close (one second), its pages given
     * back at once: the JDK can let one access through a scope just closed (JDK-8364167), and that
     * access must find memory, not a hole.
     *
     * @throws IllegalStateException if a segment of this region is in use by a native call right now;
     *         nothing is unmapped then, and close may be called again
     * @throws NativeCallException if the kernel refuses to unmap; the region is closed for use all
     *         the same (every segment throws, every method but close refuses), and a later close
     *         tries the unmap again
     */
    @Override
    public void close() {
        try {
            closeAndUnmap();
        } finally {
            runCloseTasks();
        }
    }

    private void runCloseTasks() {
        if (!closed) {
            return;
        }
        RuntimeException failure = null;
        for (Runnable task : closeTasks) {
            if (!closeTasks.remove(task)) {
                continue; // a racing close runs it
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void closeAndUnmap() {
        synchronized (lock) {
            if (unmapped) {
                return;
            }
            // The committer may be inside mprotect or populate on a chunk of this range, without the
            // lock: unmapping under it would let it touch (or re-protect) whatever is mapped there next.
            topUpWanted = false;
            awaitPrecommit();
            if (!closed) {
                int busy = 0;
                for (int i = 0; i < highWater; i++) {
                    SpanScope scope = scopes[i];
                    if (scope != null && scope.firstChunk == i) {
                        try {
                            closeScope(scope);
                        } catch (IllegalStateException inUse) {
                            busy++;
                        }
                    }
                }
                for (var it = liveSpans.iterator(); it.hasNext(); ) {
                    Span span = it.next();
                    if (span.scope().closed) {
                        span.released = true;
                        it.remove();
                    }
                }
                if (busy > 0) {
                    throw new IllegalStateException("region not closed, spans in use by native calls: region="
                            + name + ", busySpans=" + busy);
                }
                closed = true;
                RegionCommitter.COMMITTER.deregister(this);
                RegionCommitter.PREFAULTER.deregister(this);
            }
        }
        for (Runnable task : unmapTasks) {
            task.run(); // closed for use already: the task's allocator refuses new blocks; may throw
        }
        synchronized (lock) {
            if (unmapped) {
                return; // a racing close unmapped while this one ran the tasks
            }
            awaitPrefault();
            java.time.Duration grace = memory.unmapGrace();
            // Mapped a while longer, its pages given back now: a late access the JDK lets through
            // after a scope's close (JDK-8364167) must not meet an unmapped range.
            if (grace.isZero() || !deferUnmap(grace)) {
                memory.release(mappingAddress, mappingBytes);
            }
            unmapped = true;
            committedBytes = 0;
            usedBytes = 0;
        }
    }

    /**
     * Waits until the pre-faulter is off this region's chunks; {@link #closed} is set, so it takes
     * no other (see {@link #prefaulting}). Sleeps rather than spins: the pre-faulter runs only on a
     * CPU nobody else wants. Not interruptible (one chunk's pre-fault): an interrupt is kept.
     */
    private void awaitPrefault() {
        boolean interrupted = false;
        while (prefaulting >= 0) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@return whether the unmap was deferred, the pages given back already}; the caller holds the lock */
    private boolean deferUnmap(java.time.Duration grace) {
        purgeCommittedRuns();
        return DeferredUnmap.schedule(this, memory, mappingAddress, mappingBytes, grace);
    }

    /** Gives back the pages of every run of committed chunks, keeping them mapped; the caller holds the lock. */
    private void purgeCommittedRuns() {
        for (int i = 0; i < highWater; ) {
            if (states[i] == FREE) {
                i++;
                continue;
            }
            int end = i;
            while (end < highWater && states[end] != FREE) {
                end++;
            }
            memory.purge(addressOf(i), (long) (end - i) << chunkShift);
            i = end;
        }
    }

    /** {@return the span index of the chunk holding {@code address}} */
    private int indexOf(long address) {
        return (int) ((address - base) >>> chunkShift);
    }

    private long addressOf(int chunk) {
        return base + ((long) chunk << chunkShift);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("region is closed: region=" + name);
        }
    }

    private OutOfOffHeapMemoryException outOfMemory(String reason, long requested, long bound) {
        synchronized (lock) { // reentrant: some callers hold it already
            failedAcquires++;
        }
        OffHeapEvents.emitAllocationFailure(name, reason, requested, bound, committedBytes, usedBytes);
        return new OutOfOffHeapMemoryException(reason, name, requested, bound, committedBytes, usedBytes);
    }

    /**
     * First fit, after an idle run of exactly {@code count} chunks with its scope (reused without a
     * scope close); a single chunk prefers an idle (committed) one over a free one, and one whose
     * scope need not close over one whose scope must.
     */
    private int findRun(int count) {
        if (idleChunks >= count) {
            for (int i = 0; i < highWater; i++) {
                SpanScope scope = scopes[i];
                if (states[i] == IDLE && scope != null && scope.firstChunk == i && scope.chunkCount == count) {
                    return i;
                }
            }
        }
        if (count == 1 && idleChunks > 0) {
            for (int i = 0; i < highWater; i++) {
                if (states[i] == IDLE && scopes[i] == null) {
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
            byte state = stateOf(i);
            if (state == USED || state == PRECOMMITTING) {
                runStart = i + 1;
            } else if (i - runStart + 1 == count) {
                ensureChunks(runStart + count);
                return runStart;
            } else if (i >= states.length && chunkCount - runStart >= count) {
                ensureChunks(runStart + count); // the rest of the run lies past the tables: all FREE
                return runStart;
            }
        }
        return -1;
    }

    /**
     * {@return the scope of the idle run {@code [first, first+count)} if it has exactly that run's
     * scope, else null after closing every scope that overlaps the run}
     *
     * @throws IllegalStateException if a scope to close is in use by a native call; the scopes
     *         closed before it stay closed, which is safe (their runs are idle)
     */
    private SpanScope scopeToReuse(int first, int count) {
        SpanScope head = scopes[first];
        if (head != null && head.firstChunk == first && head.chunkCount == count) {
            return head;
        }
        for (int i = first; i < first + count; i++) {
            if (scopes[i] != null) {
                closeScope(scopes[i]);
            }
        }
        return null;
    }

    /** Closes an idle run's (or, at close, any run's) scope and forgets it; the caller holds the lock. */
    private void closeScope(SpanScope scope) {
        scope.close();
        for (int i = scope.firstChunk; i < scope.firstChunk + scope.chunkCount; i++) {
            if (scopes[i] == scope) {
                scopes[i] = null;
            }
        }
    }

    private long freeChunksIn(int first, int count) {
        long free = 0;
        for (int i = first; i < first + count; i++) {
            if (states[i] == FREE) {
                free++;
            }
        }
        return free;
    }

    /** Decommits idle chunks outside {@code [first, first+count)} until {@code toCommit} fits. */
    private void makeRoomUnderLimit(long toCommit, int first, int count) {
        for (int i = 0; i < highWater && committedBytes + toCommit > limitBytes; i++) {
            if (states[i] == IDLE && (i < first || i >= first + count)) {
                try {
                    decommitRun(i, 1);
                } catch (IllegalStateException scopeInUse) {
                    decommitFailures++; // a stale segment is in a native call: keep the chunk
                }
            }
        }
    }

    /**
     * Commits and pre-faults every FREE chunk in the run, in maximal sub-runs; all or nothing. A
     * sub-run is counted as committed as soon as the kernel commits it, so that if pre-faulting or
     * the undo fails, the counters still say what the kernel holds: a chunk whose undo is refused
     * stays IDLE and counted, and decay gives it back later.
     */
    private void commitFreeChunks(int first, int count, long now) {
        int end = first + count;
        int i = first;
        try {
            while (i < end) {
                if (states[i] != FREE) {
                    i++;
                    continue;
                }
                int runEnd = i;
                while (runEnd < end && states[runEnd] == FREE) {
                    runEnd++;
                }
                long address = addressOf(i);
                long bytes = (long) (runEnd - i) << chunkShift;
                memory.commit(address, bytes);
                for (int c = i; c < runEnd; c++) {
                    states[c] = IDLE; // committed; the caller makes it USED
                    idleSince[c] = COMMITTING;
                    fresh[c] = true;
                }
                idleChunks += runEnd - i;
                committedBytes += bytes;
                peakCommittedBytes = Math.max(peakCommittedBytes, committedBytes);
                OffHeapEvents.emitRegionCommit(name, bytes, committedBytes);
                i = runEnd;
                if (hugePages) {
                    memory.adviseHugePages(address, bytes);
                }
                if (aheadChunks > 0 && prefaultKind == PREFAULT_IN_PLACE) {
                    // Not on the caller: a pre-fault here holds an allocation for a fraction of a
                    // millisecond per chunk. The pre-faulter does it in place (lend asks it to), and
                    // pages touched before it gets there fault in one at a time.
                    for (int c = indexOf(address); c < i; c++) {
                        toPrefault.add(new Queued(c, decommitsBegun));
                    }
                } else {
                    memory.populate(address, bytes);
                }
            }
        } catch (RuntimeException e) {
            // Undo the sub-runs this call committed, so a failed acquire changes nothing.
            for (int c = first; c < i; c++) {
                if (states[c] == IDLE && idleSince[c] == COMMITTING) {
                    try {
                        decommitRun(c, 1);
                    } catch (RuntimeException undo) {
                        e.addSuppressed(undo);
                        idleSince[c] = now; // committed and counted; decay retries
                        decommitFailures++;
                    }
                }
            }
            throw e;
        }
    }

    /**
     * Decommits IDLE chunks idle since {@code now - decay} or earlier. In the background path a
     * refused decommit is counted and left for the next try; {@code propagate} makes it throw.
     */
    private void decayIdle(long now, boolean propagate) {
        if (idleChunks == 0) {
            return;
        }
        for (int i = 0; i < highWater; i++) {
            if (states[i] != IDLE || !decayed(i, now)) {
                continue;
            }
            int runEnd = i + 1;
            while (runEnd < highWater && states[runEnd] == IDLE && decayed(runEnd, now)) {
                runEnd++;
            }
            try {
                decommitRun(i, runEnd - i);
            } catch (NativeCallException | IllegalStateException e) {
                // IllegalStateException: a stale segment of the run is in a native call right now.
                if (propagate) {
                    throw e;
                }
                decommitFailures++;
            }
            i = runEnd - 1;
        }
    }

    private boolean decayed(int chunk, long now) {
        return now == Long.MAX_VALUE || now - idleSince[chunk] >= decayNanos;
    }

    /**
     * Closes the scopes of the chunks, then decommits them: no segment may reach the memory after.
     *
     * @throws IllegalStateException if a scope is in use by a native call; nothing is decommitted
     */
    private void decommitRun(int first, int count) {
        long bytes = (long) count << chunkShift;
        for (int i = first; i < first + count; i++) {
            if (scopes[i] != null) {
                closeScope(scopes[i]);
            }
        }
        decommitsBegun++; // before the syscalls: a pre-fault they refuse reads it moved
        memory.decommit(addressOf(first), bytes);
        for (int i = first; i < first + count; i++) {
            states[i] = FREE;
        }
        idleChunks -= count;
        committedBytes -= bytes;
        decommittedBytesTotal += bytes;
        OffHeapEvents.emitRegionDecommit(name, bytes, committedBytes);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Kind {@code region}: a block is a span; allocations and frees count spans acquired and
     * released, failed allocations count refused acquires; {@code decommittedBytes} counts the bytes
     * decommitted plus the bytes {@link #purge purged}; {@code commitsOnCaller},
     * {@code commitOnCallerBytes} and {@code maintenanceFailures} are {@link #commitsOnCaller()},
     * {@link #commitOnCallerBytes()} and {@link #maintenanceFailures()}. After close reserved,
     * committed, used and live read 0; the counters keep their values.
     */
    @Override
    public AllocatorSnapshot snapshot() {
        boolean isClosed = closed;
        long acquired = spansAcquired;
        long released = spansReleased;
        return new AllocatorSnapshot(name, "region", isClosed ? 0 : reservedBytes(), committedBytes, usedBytes,
                isClosed ? 0 : Math.max(0, acquired - released), acquired, released, 0, failedAcquires,
                0, 0, 0, 0, decommittedBytesTotal + purgedBytesTotal, List.of(),
                commitsOnCaller, commitOnCallerBytes, maintenanceFailures.get());
    }

    @Override
    public String toString() {
        return "Region[name=" + name + ", reserved=" + reservedBytes() + ", committed=" + committedBytes
                + ", used=" + usedBytes + ", limit=" + limitBytes + "]";
    }

    /**
     * Settings of a region, each with a default a user never has to think about.
     *
     * <p>Thread-safety: not thread-safe; build on one thread.
     */
    public static final class Builder {
        private String name = "region";
        private long reserveBytes = DEFAULT_RESERVE_BYTES;
        private long chunkBytes = DEFAULT_CHUNK_BYTES;
        private long limitBytes = Long.MAX_VALUE;
        private Duration decay = DEFAULT_DECAY;
        private boolean hugePages;
        private VirtualMemory memory = VirtualMemory.system();
        private LongSupplier nanoClock = System::nanoTime;
        private boolean backgroundDecay = true;
        private long commitAheadBytes = DEFAULT_COMMIT_AHEAD_BYTES;

        private Builder() {
        }

        /**
         * @param bytes how many bytes beyond what is lent a background thread keeps committed and
         *        pre-faulted, so that an acquire finds them ready instead of committing on its own
         *        thread; rounded up to whole chunks; 0 turns commit ahead off. Ready chunks count as
         *        committed, never exceed the limit, and are given back after the decay delay if no
         *        acquire takes them (they are made again only when an acquire asks). Ignored with a
         *        zero decay delay, which gives every idle chunk back at once.
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder commitAhead(long bytes) {
            this.commitAheadBytes = Checks.checkNotNegative("commitAheadBytes", bytes);
            return this;
        }

        /**
         * @param name the name used in messages and metrics
         * @return this builder
         */
        public Builder name(String name) {
            this.name = java.util.Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * @param bytes the address space to reserve; rounded up to whole chunks
         * @return this builder
         * @throws IllegalArgumentException if not in {@code [1, MAX_RESERVE_BYTES]}
         */
        public Builder reserve(long bytes) {
            Checks.checkPositive("reserveBytes", bytes);
            if (bytes > MAX_RESERVE_BYTES) {
                throw new IllegalArgumentException("reserveBytes must not exceed " + MAX_RESERVE_BYTES
                        + ": reserveBytes=" + bytes);
            }
            this.reserveBytes = bytes;
            return this;
        }

        /**
         * @param bytes the unit of commit and lending: a power of two from the page size to 1 GiB
         * @return this builder
         */
        public Builder chunkSize(long bytes) {
            this.chunkBytes = bytes; // checked against the page size when built
            return this;
        }

        /**
         * @param bytes the most bytes that may be committed at once
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes <= 0}
         */
        public Builder limit(long bytes) {
            this.limitBytes = Checks.checkPositive("limitBytes", bytes);
            return this;
        }

        /**
         * @param delay how long a chunk stays idle and committed before it is given back;
         *        {@link Duration#ZERO} gives it back at once
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder decay(Duration delay) {
            if (delay.isNegative()) {
                throw new IllegalArgumentException("decay must not be negative: decay=" + delay);
            }
            this.decay = delay;
            return this;
        }

        /**
         * @param enabled whether committed chunks are advised {@code MADV_HUGEPAGE}
         * @return this builder
         */
        public Builder hugePages(boolean enabled) {
            this.hugePages = enabled;
            return this;
        }

        /** The OS seam, for tests that inject failures. */
        Builder memory(VirtualMemory memory) {
            this.memory = memory;
            return this;
        }

        /** Whether the decay daemon visits this region, for tests that need decay only where they call it. */
        Builder backgroundDecay(boolean enabled) {
            this.backgroundDecay = enabled;
            return this;
        }

        /** The clock that decay reads, for tests; a test that drives it also turns background decay off. */
        Builder nanoClock(LongSupplier nanoClock) {
            this.nanoClock = nanoClock;
            return this;
        }

        /**
         * Reserves the range.
         *
         * @return the region
         * @throws IllegalArgumentException if the chunk size is not a power of two between the page
         *         size and 1 GiB
         * @throws NativeCallException if the kernel refuses the reservation
         */
        public Region build() {
            return new Region(this);
        }
    }
}
