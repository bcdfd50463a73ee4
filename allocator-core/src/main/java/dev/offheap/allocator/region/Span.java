package dev.offheap.allocator.region;

import java.lang.foreign.MemorySegment;

/**
 * A run of whole chunks that a {@link Region} lent to one allocator: committed, pre-faulted, and
 * readable through {@link #segment()}.
 *
 * <p>The segment is bound to a scope of its run of chunks, which the region closes <em>before</em>
 * the memory is decommitted or unmapped, and on close. Every slice an allocator hands out inherits
 * that scope, so a segment kept past that point throws {@link IllegalStateException} instead of
 * touching memory that is gone: no segment ever reaches uncommitted memory.
 *
 * <p>Release does <em>not</em> close the scope (a close is a handshake with every thread, about
 * 0.3 ms): the released chunks stay committed and IDLE, and the next acquire of exactly the same
 * run lends them again in a new {@code Span} with the same scope and segment. A segment kept past
 * release therefore stays readable and writable, and aliases whatever is lent there next (as a
 * freed block's segment does), until the memory is decommitted (decay, {@link Region#trim()}, room
 * needed under the limit), an acquire takes a run that only partly overlaps it, or the region
 * closes; from then on it throws. Each {@code Span} object is one lending: releasing it twice throws.
 *
 * <p>Thread-safety: immutable but for the released flag, which the region guards with its lock.
 */
public final class Span {
    private final Region region;
    private final long address;
    private final long byteSize;
    private final boolean zeroed;
    private final SpanScope scope;
    /** Guarded by the region's lock. */
    boolean released;

    Span(Region region, long address, long byteSize, boolean zeroed, SpanScope scope) {
        this.region = region;
        this.address = address;
        this.byteSize = byteSize;
        this.zeroed = zeroed;
        this.scope = scope;
    }

    /** {@return the region this span belongs to} */
    public Region region() {
        return region;
    }

    /** {@return the address of the first byte; a multiple of the region's chunk size} */
    public long address() {
        return address;
    }

    /** {@return the length in bytes; a multiple of the region's chunk size} */
    public long byteSize() {
        return byteSize;
    }

    /**
     * {@return whether every byte is known to be zero: each of its chunks was committed since it was
     * last lent (by this acquire, or ahead of it by the background committer)}
     */
    public boolean zeroed() {
        return zeroed;
    }

    /**
     * {@return the whole span as a segment, valid until its memory is decommitted or the region
     * closed; after release it aliases whatever the region lends there next. After the region
     * closed it is still returned, bound to its closed scope: every access through it throws
     * {@link IllegalStateException}; an allocator that wants the region's name in the message calls
     * {@link Region#checkOpen()} first}
     */
    public MemorySegment segment() {
        return scope.segment;
    }

    /** {@return the scope of the run this span lends}; the caller holds the region's lock */
    SpanScope scope() {
        return scope;
    }

    @Override
    public String toString() {
        return "Span[address=0x" + Long.toHexString(address) + ", byteSize=" + byteSize + "]";
    }
}
