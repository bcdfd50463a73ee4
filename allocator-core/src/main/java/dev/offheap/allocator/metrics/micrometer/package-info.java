/**
 * The Micrometer binder, {@link dev.offheap.allocator.metrics.micrometer.OffHeapMetrics}, and the list of
 * its meters, {@link dev.offheap.allocator.metrics.micrometer.OffHeapMeters}. The only package that uses
 * Micrometer, an optional dependency: a service without Micrometer never loads it.
 */
package dev.offheap.allocator.metrics.micrometer;
