/**
 * JFR events of the library (category {@code offheap}) and {@link dev.offheap.allocator.jfr.OffHeapEvents},
 * the helpers that emit them at no cost when no recording runs.
 */
package dev.offheap.allocator.jfr;
