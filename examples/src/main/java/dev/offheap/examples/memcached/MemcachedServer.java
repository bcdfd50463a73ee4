package dev.offheap.examples.memcached;

import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.micrometer.OffHeapMetrics;
import dev.offheap.netty.OffHeapByteBufAllocator;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A memcached-compatible cache server (text protocol) on Netty, whose items live in an
 * {@link OffHeap} allocator limited to the configured memory, with its metrics on an HTTP
 * {@code /metrics} endpoint in Prometheus' format.
 *
 * <p>{@link #shutdown()} stops accepting, lets every connection's replies in flight finish (up to
 * the drain timeout), closes the connections and the event loops, drops every item, checks that
 * no block is left, closes the allocator and reports what it found ({@link ShutdownReport}).
 *
 * <p>Thread-safety: thread-safe; {@link #close()} is idempotent.
 */
public final class MemcachedServer implements AutoCloseable {
    private final ServerConfig config;
    private final OffHeap memory;
    /** The network buffers' memory when the server makes its own allocator for them, else null. */
    private final OffHeap networkMemory;
    private final ByteBufAllocator networkAllocator;
    private final ItemStore store;
    private final StatsReport statsReport;
    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gcMetrics;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ChannelGroup connections = new DefaultChannelGroup("memcached", GlobalEventExecutor.INSTANCE);
    private final Channel listener;
    private final MetricsEndpoint metrics;
    private ShutdownReport report;

    private MemcachedServer(ServerConfig config) throws IOException, InterruptedException {
        this.config = config;
        this.memory = OffHeap.builder().name("memcached").limit(config.memoryLimitBytes()).build();
        this.store = new ItemStore(memory, (long) (config.memoryLimitBytes() * ServerConfig.EVICT_ABOVE_SHARE),
                config.itemSizeMax(), config.clock(), new StoreStats());
        if (config.networkAllocator() == null) {
            this.networkMemory = OffHeap.builder().name("memcached.network").reserve(4L << 30).zeroing(false).build();
            // Each event loop keeps its last released read buffer's block: freed as the loop ends, before the check below.
            this.networkAllocator = new OffHeapByteBufAllocator(networkMemory, true);
        } else {
            this.networkMemory = null;
            this.networkAllocator = config.networkAllocator();
        }
        this.statsReport = new StatsReport(store, config, networkAllocator);
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new OffHeapMetrics(memory).bindTo(registry);
        new ServerMetrics(store).bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        this.gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(registry);
        if (networkAllocator instanceof ByteBufAllocatorMetricProvider provider) {
            new NettyAllocatorMetrics(provider).bindTo(registry);
        }
        boolean epoll = Epoll.isAvailable(); // the native transport where it loads, NIO elsewhere
        this.boss = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.workers = new MultiThreadIoEventLoopGroup(config.workerThreads(),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        try {
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.ALLOCATOR, networkAllocator)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            connections.add(ch);
                            ch.pipeline().addLast(new MemcachedConnection(store, statsReport));
                        }
                    });
            this.listener = bootstrap.bind(new InetSocketAddress(config.host(), config.port())).sync().channel();
            this.metrics = config.metricsPort() >= 0 ? new MetricsEndpoint(registry, config.host(), config.metricsPort()) : null;
        } catch (IOException | InterruptedException | RuntimeException e) {
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            memory.close();
            if (networkMemory != null) {
                networkMemory.close();
            }
            throw e;
        }
    }

    /**
     * Starts a server.
     *
     * @param config its settings
     * @return the server, accepting connections
     * @throws IOException if the port or the metrics port cannot be bound
     * @throws InterruptedException if interrupted while binding
     */
    public static MemcachedServer start(ServerConfig config) throws IOException, InterruptedException {
        return new MemcachedServer(config);
    }

    /** {@return the port it listens on} */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** {@return the port of {@code /metrics}, or -1 if there is none} */
    public int metricsPort() {
        return metrics == null ? -1 : metrics.port();
    }

    /** {@return the registry {@code /metrics} scrapes} */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** {@return what the items' allocator reports now} */
    public AllocatorSnapshot memorySnapshot() {
        return memory.snapshot();
    }

    /** {@return the items' allocator (tests use it for a positive control of the leak check)} */
    OffHeap memory() {
        return memory;
    }

    ItemStore store() {
        return store;
    }

    public ServerConfig config() {
        return config;
    }

    /**
     * Stops the server and reports; see the class comment for the order. Idempotent: a second
     * call returns the first report. {@link #close()} does the same for try-with-resources.
     *
     * @return what was found
     */
    public synchronized ShutdownReport shutdown() {
        if (report != null) {
            return report;
        }
        listener.close().syncUninterruptibly(); // stop accepting
        int open = connections.size();
        for (Channel ch : connections) { // drain: stop reading, let what was asked be answered, then close
            ch.config().setAutoRead(false);
            ch.eventLoop().execute(() -> ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE));
        }
        long timeoutMillis = config.drainTimeout().toMillis();
        connections.newCloseFuture().awaitUninterruptibly(timeoutMillis);
        connections.close().awaitUninterruptibly(timeoutMillis); // whatever did not drain in time
        workers.shutdownGracefully(0, timeoutMillis, TimeUnit.MILLISECONDS).syncUninterruptibly();
        boss.shutdownGracefully(0, timeoutMillis, TimeUnit.MILLISECONDS).syncUninterruptibly();
        if (metrics != null) {
            metrics.close();
        }
        gcMetrics.close();
        // Every write has finished or failed with its channel, so every response's item reference
        // is back: dropping the items frees every block the store made.
        store.clear();
        long left = memory.snapshot().liveBlocks();
        memory.close();
        AllocatorSnapshot closed = memory.snapshot();
        long networkLeaks = 0;
        long networkDoubleFrees = 0;
        if (networkMemory != null) { // after the event loops: no buffer is in use any more
            long networkLive = networkMemory.snapshot().liveBlocks();
            networkMemory.close();
            AllocatorSnapshot network = networkMemory.snapshot();
            networkLeaks = Math.max(network.leaks(), networkLive);
            networkDoubleFrees = network.doubleFrees();
        }
        report = new ShutdownReport(open, left, closed.leaks() + networkLeaks, closed.doubleFrees() + networkDoubleFrees);
        return report;
    }

    /** {@link #shutdown()}, for try-with-resources; the report is kept for a later {@link #shutdown()}. */
    @Override
    public void close() {
        shutdown();
    }
}
