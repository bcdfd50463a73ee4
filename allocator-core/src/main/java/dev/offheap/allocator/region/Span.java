package dev.offheap.allocator.region;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A run of whole chunks that a {@link Region} lent to one allocator: committed, pre-faulted, and
 * readable through {@link #segment()} until {@link Region#release(Span) released}.
 *
 * <p>The segment is bound to a scope of the span's own, which the region closes on release and on
 * close, <em>before</em> the memory is decommitted or unmapped. Every slice an allocator hands out
 * inherits that scope, so a segment kept past that point throws {@link IllegalStateException}
 * instead of touching memory that is gone.
 *
 * <p>Thread-safety: immutable but for the released flag, which the region guards with its lock.
 */
public final class Span {
    private final Region region;
    private final long address;
    private final long byteSize;
    private final boolean zeroed;
    private final Arena scope;
    private final MemorySegment segment;
    /** Guarded by the region's lock. */
    boolean released;

    Span(Region region, long address, long byteSize, boolean zeroed) {
        this.region = region;
        this.address = address;
        this.byteSize = byteSize;
        this.zeroed = zeroed;
        this.scope = Arena.ofShared();
        this.segment = MemorySegment.ofAddress(address).reinterpret(byteSize, scope, null);
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

    /** {@return whether every byte is known to be zero: all its chunks were freshly committed} */
    public boolean zeroed() {
        return zeroed;
    }

    /** {@return the whole span as a segment, valid until the span is released or the region closed} */
    public MemorySegment segment() {
        return segment;
    }

    /** Closes the scope of every segment carved from this span; the caller holds the region's lock. */
    void closeScope() {
        scope.close();
    }

    @Override
    public String toString() {
        return "Span[address=0x" + Long.toHexString(address) + ", byteSize=" + byteSize + "]";
    }
}
