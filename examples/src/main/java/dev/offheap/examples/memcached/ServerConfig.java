package dev.offheap.examples.memcached;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;

/**
 * Every setting of a {@link MemcachedServer}, with memcached's defaults where it has one.
 *
 * <p>Thread-safety: immutable.
 *
 * @param host the address to listen on (default loopback)
 * @param port the port (0: any free one)
 * @param memoryLimitBytes the memory for items, memcached's {@code -m} (default 64 MiB): the
 *        allocator's limit on committed memory
 * @param workerThreads event-loop threads serving connections, memcached's {@code -t} (default 2)
 * @param maxConnections connections served at once, memcached's {@code -c} (default 10 240)
 * @param itemSizeMax the largest item (key, value, 2 bytes), memcached's {@code -I} (default 1 MiB)
 * @param metricsPort the port of the HTTP {@code /metrics} endpoint (0: any free one; -1: none)
 * @param drainTimeout how long a shutdown waits for replies in flight
 * @param clock the time expiry reads (tests move it)
 * @param networkAllocator where Netty takes its network buffers from; {@code null}: the library's own
 */
public record ServerConfig(String host, int port, long memoryLimitBytes, int workerThreads, int maxConnections,
                           long itemSizeMax, int metricsPort, Duration drainTimeout, InstantSource clock,
                           ByteBufAllocator networkAllocator) {

    /** The share of the memory limit items may hold before LRU eviction makes room (the rest: partly filled pages). */
    static final double EVICT_ABOVE_SHARE = 0.875;

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        Objects.requireNonNull(clock, "clock");
        if (memoryLimitBytes < (4L << 20)) {
            throw new IllegalArgumentException("memory limit must be at least 4 MiB: memoryLimitBytes=" + memoryLimitBytes);
        }
        if (workerThreads < 1 || maxConnections < 1 || itemSizeMax < 1024 || port < 0 || metricsPort < -1) {
            throw new IllegalArgumentException("server settings out of range: workerThreads=" + workerThreads
                    + ", maxConnections=" + maxConnections + ", itemSizeMax=" + itemSizeMax + ", port=" + port
                    + ", metricsPort=" + metricsPort);
        }
    }

    /** {@return the embedded defaults: loopback, any free port, 64 MiB, 2 threads, metrics on any free port} */
    public static ServerConfig defaults() {
        return new ServerConfig("127.0.0.1", 0, 64L << 20, 2, 10_240, 1L << 20, 0, Duration.ofSeconds(5),
                InstantSource.system(), defaultNetworkAllocator());
    }

    /**
     * The one place the network buffers' allocator is chosen: {@code null} means the library's own,
     * an {@code OffHeapByteBufAllocator} over an {@code OffHeap} of its own that the server makes,
     * closes after its event loops have stopped and checks for leaks as it does the items' (network
     * buffers then do not take the items' limit). {@link #withNetworkAllocator} overrides it.
     */
    static ByteBufAllocator defaultNetworkAllocator() {
        return null;
    }

    public ServerConfig withPort(int newPort) {
        return new ServerConfig(host, newPort, memoryLimitBytes, workerThreads, maxConnections, itemSizeMax, metricsPort,
                drainTimeout, clock, networkAllocator);
    }

    public ServerConfig withMemoryLimit(long bytes) {
        return new ServerConfig(host, port, bytes, workerThreads, maxConnections, itemSizeMax, metricsPort,
                drainTimeout, clock, networkAllocator);
    }

    public ServerConfig withWorkerThreads(int threads) {
        return new ServerConfig(host, port, memoryLimitBytes, threads, maxConnections, itemSizeMax, metricsPort,
                drainTimeout, clock, networkAllocator);
    }

    public ServerConfig withMaxConnections(int connections) {
        return new ServerConfig(host, port, memoryLimitBytes, workerThreads, connections, itemSizeMax, metricsPort,
                drainTimeout, clock, networkAllocator);
    }

    public ServerConfig withItemSizeMax(long bytes) {
        return new ServerConfig(host, port, memoryLimitBytes, workerThreads, maxConnections, bytes, metricsPort,
                drainTimeout, clock, networkAllocator);
    }

    public ServerConfig withMetricsPort(int newPort) {
        return new ServerConfig(host, port, memoryLimitBytes, workerThreads, maxConnections, itemSizeMax, newPort,
                drainTimeout, clock, networkAllocator);
    }

    public ServerConfig withClock(InstantSource newClock) {
        return new ServerConfig(host, port, memoryLimitBytes, workerThreads, maxConnections, itemSizeMax, metricsPort,
                drainTimeout, newClock, networkAllocator);
    }

    public ServerConfig withNetworkAllocator(ByteBufAllocator allocator) {
        return new ServerConfig(host, port, memoryLimitBytes, workerThreads, maxConnections, itemSizeMax, metricsPort,
                drainTimeout, clock, allocator);
    }
}
