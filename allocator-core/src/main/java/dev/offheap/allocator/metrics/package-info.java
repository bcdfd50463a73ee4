/**
 * What allocators report: {@link dev.offheap.allocator.metrics.AllocatorSnapshot}, read through
 * {@link dev.offheap.allocator.metrics.MeteredAllocator#snapshot()}. This package has no
 * dependency; the Micrometer binder lives in {@code dev.offheap.allocator.metrics.micrometer}.
 */
package dev.offheap.allocator.metrics;
