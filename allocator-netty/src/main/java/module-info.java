/**
 * A Netty {@code ByteBufAllocator} whose direct buffers are blocks of an
 * {@link dev.offheap.allocator.facade.OffHeap}: {@link dev.offheap.netty.OffHeapByteBufAllocator}.
 */
module dev.offheap.netty {
    // Transitive: the public constructor takes an OffHeap, and the class is a Netty allocator whose
    // buffers are reference-counted (io.netty.common).
    requires transitive dev.offheap.allocator;
    requires transitive io.netty.buffer;
    requires transitive io.netty.common;

    exports dev.offheap.netty;
}
