/**
 * Netty on the library: {@link dev.offheap.netty.OffHeapByteBufAllocator}, a
 * {@link io.netty.buffer.ByteBufAllocator} whose direct buffers are blocks of an
 * {@link dev.offheap.allocator.facade.OffHeap}, freed when their reference count reaches zero and
 * watched for leaks by the library and, when it is on, by Netty's {@code ResourceLeakDetector}.
 */
package dev.offheap.netty;
