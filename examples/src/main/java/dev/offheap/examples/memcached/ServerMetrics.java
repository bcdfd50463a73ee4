package dev.offheap.examples.memcached;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import dev.offheap.allocator.metrics.StripedCounter;

/**
 * The server's own meters ({@code memcached.*}), read from the same counters {@code stats} reports.
 *
 * <p>Thread-safety: thread-safe.
 */
final class ServerMetrics implements MeterBinder {
    private final ItemStore store;

    ServerMetrics(ItemStore store) {
        this.store = store;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        StoreStats s = store.stats;
        counter(registry, "memcached.commands", s.cmdGet, "cmd", "get");
        counter(registry, "memcached.commands", s.cmdSet, "cmd", "set");
        counter(registry, "memcached.commands", s.cmdTouch, "cmd", "touch");
        counter(registry, "memcached.commands", s.cmdFlush, "cmd", "flush");
        counter(registry, "memcached.gets", s.getHits, "result", "hit");
        counter(registry, "memcached.gets", s.getMisses, "result", "miss");
        counter(registry, "memcached.evictions", s.evictions);
        counter(registry, "memcached.reclaimed", s.reclaimed);
        counter(registry, "memcached.out.of.memory", s.outOfMemory);
        counter(registry, "memcached.protocol.errors", s.protocolErrors);
        FunctionCounter.builder("memcached.network", s.bytesRead, StripedCounter::sum).baseUnit("bytes").tag("direction", "read").register(registry);
        FunctionCounter.builder("memcached.network", s.bytesWritten, StripedCounter::sum).baseUnit("bytes").tag("direction", "written").register(registry);
        Gauge.builder("memcached.items", store, ItemStore::currItems).description("items linked").register(registry);
        Gauge.builder("memcached.connections", s.currConnections, StripedCounter::sum).description("open connections").register(registry);
        Gauge.builder("memcached.held", store, ItemStore::heldBytes).baseUnit("bytes")
                .description("bytes of item blocks allocated and not yet freed").register(registry);
        Gauge.builder("memcached.limit", store, ItemStore::limitBytes).baseUnit("bytes").register(registry);
    }

    private static void counter(MeterRegistry registry, String name, StripedCounter adder, String... tags) {
        FunctionCounter.builder(name, adder, StripedCounter::sum).tags(tags).register(registry);
    }
}
