package dev.offheap.allocator.slab;

import dev.offheap.allocator.NativeCallException;
import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.os.Platform;
import dev.offheap.allocator.os.Syscalls;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The memory every slab's slot tables live in: one anonymous mapping for the JVM's life, readable
 * and writable in every byte from the start ({@code MAP_NORESERVE}: a page takes RAM only once
 * written, and gives it back at {@code madvise}), never unmapped, never the memory of a user block.
 *
 * <h2>Why one mapping</h2>
 * The fast path reads and writes state words and links through {@link #ALL}, a {@code static final}
 * segment: C2 folds its type, base, length and scope, so an access is an add, a compare and the
 * load or store. Through a table's own segment (a field) each access also loaded and checked the
 * segment's class, length, base, scope owner and scope state, and C2 loaded them again after every
 * store to native memory: ≈ 20 instructions per access, six accesses per allocate + free.
 * {@code FixedSizeBenchmark.libraryHandleOnly} at 64 B went from 32.0 to 23.5 ns (malloc through
 * FFM 26.3 ns) on a 2-core AMD EPYC VM, 2026-12-04.
 *
 * <h2>Safety</h2>
 * Every byte of {@link #ALL} stays mapped and writable until the JVM exits, so no access through it
 * can fault, whatever the order of calls; its bounds are the mapping's. A table is a slice of it;
 * the slab checks a handle's slot against its page's capacity before any access, so a user's
 * handle never reaches past its page's table. When an allocator closes, its spans are given back
 * to the OS (they read zero) and quarantined: another allocator takes them only once every span
 * never used is gone, oldest first, so a call racing the close writes into memory nobody uses.
 *
 * <p>Thread-safety: {@link Lease} is its owner's (called under the page heap's lock); the span
 * pool is synchronized.
 */
final class SlotTableMemory {
    /** One span: the unit a lease takes and gives back. */
    static final long SPAN_BYTES = 1L << 20;
    /** Mapping sizes tried in turn (a kernel with strict overcommit accounts even MAP_NORESERVE). */
    private static final long[] MAPPING_BYTES = {64L << 30, 8L << 30, 1L << 30, 128L << 20};

    /** The whole mapping. */
    static final MemorySegment ALL = map();

    private static final Object POOL = new Object();
    /** Offset of the first span never taken. */
    private static long fresh;
    /** Spans of closed leases, decommitted, oldest first. */
    private static final ArrayDeque<Long> quarantined = new ArrayDeque<>();

    private SlotTableMemory() {
    }

    private static MemorySegment map() {
        Platform p = Syscalls.platform();
        NativeCallException last = null;
        for (long bytes : MAPPING_BYTES) {
            try {
                long address = Syscalls.mmap(0, bytes, Platform.PROT_READ | Platform.PROT_WRITE,
                        Platform.MAP_PRIVATE | p.mapAnonymous() | p.mapNoReserve());
                return MemorySegment.ofAddress(address).reinterpret(bytes); // global scope: never unmapped
            } catch (NativeCallException refused) {
                last = refused;
            }
        }
        throw new ExceptionInInitializerError(last);
    }

    /** {@return the offset in {@link #ALL} of a span no live lease holds} */
    private static long takeSpan() {
        synchronized (POOL) {
            if (fresh + SPAN_BYTES <= ALL.byteSize()) {
                long span = fresh;
                fresh += SPAN_BYTES;
                return span;
            }
            Long reused = quarantined.pollFirst();
            if (reused == null) {
                long held = ALL.byteSize();
                throw new OutOfOffHeapMemoryException("every span of the slot-table mapping is held by an open allocator",
                        "slab slot tables", SPAN_BYTES, held, held, held);
            }
            return reused;
        }
    }

    /** {@return spans never taken, for tests} */
    static long freshSpans() {
        synchronized (POOL) {
            return (ALL.byteSize() - fresh) / SPAN_BYTES;
        }
    }

    /** {@return spans given back by closed leases and not taken again, for tests} */
    static int quarantinedSpans() {
        synchronized (POOL) {
            return quarantined.size();
        }
    }

    /**
     * One allocator's tables: slices cut by a bump pointer from spans of its own, kept until
     * {@link #close()} (the slab recycles its tables itself).
     */
    static final class Lease implements AutoCloseable {
        private final List<Long> spans = new ArrayList<>();
        private long current = -1;
        private long used;
        private boolean closed;

        /**
         * {@return {@code byteSize} bytes of {@link #ALL}, 8-byte aligned; the caller writes every
         * word it reads (a reused span may hold what its last lease wrote on a platform whose
         * advice does not zero)}
         *
         * @param byteSize at most {@link #SPAN_BYTES}
         * @throws OutOfOffHeapMemoryException if no span is left
         * @throws IllegalStateException if the lease is closed
         */
        MemorySegment allocate(long byteSize) {
            if (closed) {
                throw new IllegalStateException("the slab's metadata is closed");
            }
            if (byteSize < 1 || byteSize > SPAN_BYTES) {
                throw new IllegalArgumentException("a slot table of " + byteSize + " bytes: 1 to " + SPAN_BYTES);
            }
            long aligned = (byteSize + 7) & -8L;
            if (current < 0 || used + aligned > SPAN_BYTES) {
                current = takeSpan(); // the rest of the old span stays unused
                spans.add(current);
                used = 0;
            }
            MemorySegment slice = ALL.asSlice(current + used, byteSize);
            used += aligned;
            return slice;
        }

        /** {@return spans this lease holds} */
        int spans() {
            return spans.size();
        }

        /**
         * Gives every span back to the OS (on Linux each reads zero from now on) and to the quarantine.
         * Idempotent.
         *
         * @throws NativeCallException if the kernel refuses the advice (the spans stay with this lease)
         */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            int advice = Syscalls.platform().madvDontNeed();
            for (Long span : spans) {
                Syscalls.madvise(ALL.address() + span, SPAN_BYTES, advice);
            }
            synchronized (POOL) {
                quarantined.addAll(spans);
            }
            spans.clear();
        }
    }
}
