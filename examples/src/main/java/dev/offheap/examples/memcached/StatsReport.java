package dev.offheap.examples.memcached;

import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.AllocatorSnapshot.SizeClassSnapshot;
import dev.offheap.allocator.slab.SizeClasses;
import io.netty.buffer.ByteBuf;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The {@code stats} command's answers, under memcached's names: the general figures (counters,
 * items, connections, and memory as the allocator accounts it), {@code stats slabs} (one line set
 * per slab size class of the allocator that holds blocks), {@code stats items} (items per class)
 * and {@code stats settings}.
 *
 * <p>Thread-safety: thread-safe; each answer reads the counters and one allocator snapshot.
 */
final class StatsReport {
    /** The version this server reports: the memcached release whose text protocol it follows. */
    static final String VERSION = "1.6.18-offheap";

    private final ItemStore store;
    private final StoreStats stats;
    private final ServerConfig settings;
    private final io.netty.buffer.ByteBufAllocator networkAllocator;
    private final long startedAtSeconds;
    private volatile long verbosity;

    StatsReport(ItemStore store, ServerConfig settings, io.netty.buffer.ByteBufAllocator networkAllocator) {
        this.networkAllocator = networkAllocator;
        this.store = store;
        this.stats = store.stats;
        this.settings = settings;
        this.startedAtSeconds = store.nowSeconds();
    }

    ServerConfig settings() {
        return settings;
    }

    /**
     * Writes one {@code stats} answer, ending in {@code END} (or {@code RESET}).
     *
     * @param sub the subcommand ("" for the general figures)
     * @return false if the subcommand is unknown (the caller answers {@code ERROR})
     */
    boolean write(String sub, ByteBuf out) {
        switch (sub) {
            case "" -> general(out);
            case "slabs" -> slabs(out);
            case "items" -> items(out);
            case "settings" -> settings(out);
            case "reset" -> {
                stats.reset();
                out.writeBytes(Replies.RESET);
                return true;
            }
            default -> {
                return false;
            }
        }
        out.writeBytes(Replies.END);
        return true;
    }

    private void general(ByteBuf out) {
        long now = store.nowSeconds();
        AllocatorSnapshot memory = store.memory().snapshot();
        var cpu = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : 0L;
        stat(out, "pid", ProcessHandle.current().pid());
        stat(out, "uptime", now - startedAtSeconds);
        stat(out, "time", now);
        stat(out, "version", VERSION);
        stat(out, "pointer_size", 64);
        stat(out, "rusage_user", String.format(java.util.Locale.ROOT, "%.6f", cpu / 1e9));
        stat(out, "rusage_system", "0.000000");
        stat(out, "max_connections", settings.maxConnections());
        stat(out, "curr_connections", stats.currConnections.sum());
        stat(out, "total_connections", stats.totalConnections.sum());
        stat(out, "rejected_connections", stats.rejectedConnections.sum());
        stat(out, "cmd_get", stats.cmdGet.sum());
        stat(out, "cmd_set", stats.cmdSet.sum());
        stat(out, "cmd_flush", stats.cmdFlush.sum());
        stat(out, "cmd_touch", stats.cmdTouch.sum());
        stat(out, "get_hits", stats.getHits.sum());
        stat(out, "get_misses", stats.getMisses.sum());
        stat(out, "get_expired", stats.getExpired.sum());
        stat(out, "get_flushed", stats.getFlushed.sum());
        stat(out, "delete_misses", stats.deleteMisses.sum());
        stat(out, "delete_hits", stats.deleteHits.sum());
        stat(out, "incr_misses", stats.incrMisses.sum());
        stat(out, "incr_hits", stats.incrHits.sum());
        stat(out, "decr_misses", stats.decrMisses.sum());
        stat(out, "decr_hits", stats.decrHits.sum());
        stat(out, "cas_misses", stats.casMisses.sum());
        stat(out, "cas_hits", stats.casHits.sum());
        stat(out, "cas_badval", stats.casBadval.sum());
        stat(out, "touch_hits", stats.touchHits.sum());
        stat(out, "touch_misses", stats.touchMisses.sum());
        stat(out, "bytes_read", stats.bytesRead.sum());
        stat(out, "bytes_written", stats.bytesWritten.sum());
        stat(out, "limit_maxbytes", store.limitBytes());
        stat(out, "threads", settings.workerThreads());
        stat(out, "bytes", memory.usedBytes());
        stat(out, "curr_items", store.currItems());
        stat(out, "total_items", stats.totalItems.sum());
        stat(out, "evictions", stats.evictions.sum());
        stat(out, "reclaimed", stats.reclaimed.sum());
        stat(out, "outofmemory", stats.outOfMemory.sum());
        stat(out, "protocol_errors", stats.protocolErrors.sum());
        // The allocator's own figures, beyond memcached's names.
        stat(out, "offheap_held_bytes", store.heldBytes());
        stat(out, "offheap_committed_bytes", memory.committedBytes());
        stat(out, "offheap_reserved_bytes", memory.reservedBytes());
        stat(out, "offheap_live_blocks", memory.liveBlocks());
        stat(out, "offheap_fragmentation_ratio", String.format(java.util.Locale.ROOT, "%.4f", memory.fragmentationRatio()));
        stat(out, "offheap_leaks", memory.leaks());
        stat(out, "offheap_double_frees", memory.doubleFrees());
    }

    /** One line set per slab class that has pages, as the allocator reports them; memcached numbers classes from 1. */
    private void slabs(ByteBuf out) {
        AllocatorSnapshot memory = store.memory().snapshot();
        List<SizeClassSnapshot> classes = memory.sizeClasses();
        int active = 0;
        for (int c = 0; c < classes.size(); c++) {
            SizeClassSnapshot sc = classes.get(c);
            if (sc.capacityBlocks() == 0 && sc.liveBlocks() == 0) {
                continue;
            }
            active++;
            String p = (c + 1) + ":";
            stat(out, p + "chunk_size", sc.blockBytes());
            stat(out, p + "total_chunks", sc.capacityBlocks());
            stat(out, p + "used_chunks", sc.liveBlocks());
            stat(out, p + "free_chunks", Math.max(0, sc.capacityBlocks() - sc.liveBlocks()));
            stat(out, p + "total_allocations", sc.allocations());
            stat(out, p + "mem_requested", sc.liveBlocks() * sc.blockBytes());
        }
        stat(out, "active_slabs", active);
        stat(out, "total_malloced", memory.committedBytes());
    }

    private void items(ByteBuf out) {
        for (int c = 0; c <= ItemStore.LARGE_CLASS; c++) {
            long number = store.itemsInClass(c);
            long evicted = store.evictedInClass(c);
            if (number == 0 && evicted == 0) {
                continue;
            }
            String p = "items:" + (c + 1) + ":";
            stat(out, p + "number", number);
            stat(out, p + "evicted", evicted);
            stat(out, p + "chunk_size", c < SizeClasses.COUNT ? SizeClasses.blockBytes(c) : -1);
        }
    }

    private void settings(ByteBuf out) {
        stat(out, "maxbytes", store.limitBytes());
        stat(out, "maxconns", settings.maxConnections());
        stat(out, "tcpport", settings.port());
        stat(out, "udpport", 0);
        stat(out, "inter", settings.host());
        stat(out, "verbosity", verbosity);
        stat(out, "evictions", "on");
        stat(out, "num_threads", settings.workerThreads());
        stat(out, "cas_enabled", "yes");
        stat(out, "item_size_max", store.itemSizeMax());
        stat(out, "evict_above_bytes", store.evictAboveBytes());
        stat(out, "binding_protocol", "ascii");
        stat(out, "allocator", "offheap");
        stat(out, "network_allocator", networkAllocator.getClass().getSimpleName());
    }

    void verbosity(long level) {
        this.verbosity = level;
    }

    private static void stat(ByteBuf out, String name, long value) {
        out.writeCharSequence("STAT ", StandardCharsets.US_ASCII);
        out.writeCharSequence(name, StandardCharsets.US_ASCII);
        out.writeByte(' ');
        out.writeCharSequence(Long.toString(value), StandardCharsets.US_ASCII);
        out.writeBytes(Replies.CRLF);
    }

    private static void stat(ByteBuf out, String name, String value) {
        out.writeCharSequence("STAT " + name + " " + value + "\r\n", StandardCharsets.US_ASCII);
    }
}
