package dev.offheap.examples.memcached;

import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.netty.OffHeapByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * What the server's own code costs per request, without the kernel: one connection
 * ({@link MemcachedConnection}) on Netty's {@code EmbeddedChannel}, over the store and the
 * network allocator the server uses, fed pipelined {@code get} and {@code set} commands in
 * batches. The figure is nanoseconds of this thread per command (one thread, no socket), so it
 * is the Java half of what a request costs under memcaslap; the other half is the socket calls.
 *
 * <p>Usage: {@code ServerPathCpuMain [--keys 100000] [--key-bytes 64] [--value-bytes 512]
 * [--rounds 10] [--batch 64] [--netty-pooled]}; {@code --netty-pooled} puts the network buffers in
 * Netty's {@code PooledByteBufAllocator} instead of the library's adapter, for comparison.
 */
public final class ServerPathCpuMain {
    private ServerPathCpuMain() {
    }

    public static void main(String[] args) {
        int keys = 100_000;
        int keyBytes = 64;
        int valueBytes = 512;
        int rounds = 10;
        int batch = 64;
        boolean nettyPooled = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--keys" -> keys = Integer.parseInt(args[++i]);
                case "--key-bytes" -> keyBytes = Integer.parseInt(args[++i]);
                case "--value-bytes" -> valueBytes = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--netty-pooled" -> nettyPooled = true;
                default -> throw new IllegalArgumentException("unknown option: " + args[i]
                        + " (options: --keys N, --key-bytes B, --value-bytes B, --rounds N, --batch N, --netty-pooled)");
            }
        }
        ServerConfig config = ServerConfig.defaults().withMetricsPort(-1).withMemoryLimit(1L << 30);
        try (OffHeap memory = OffHeap.builder().name("cpu.items").limit(config.memoryLimitBytes()).build();
             OffHeap network = OffHeap.builder().name("cpu.network").zeroing(false).build()) {
            ByteBufAllocator allocator = nettyPooled ? PooledByteBufAllocator.DEFAULT : new OffHeapByteBufAllocator(network);
            ItemStore store = new ItemStore(memory, (long) (config.memoryLimitBytes() * ServerConfig.EVICT_ABOVE_SHARE),
                    config.itemSizeMax(), config.clock(), new StoreStats());
            EmbeddedChannel channel = new EmbeddedChannel();
            channel.config().setAllocator(allocator);
            channel.pipeline().addLast(new MemcachedConnection(store, new StatsReport(store, config, allocator)));
            byte[][] keyNames = new byte[keys][];
            for (int k = 0; k < keys; k++) {
                String name = "key:" + k;
                keyNames[k] = (name + "x".repeat(Math.max(0, keyBytes - name.length()))).getBytes(StandardCharsets.US_ASCII);
            }
            byte[] value = "v".repeat(valueBytes).getBytes(StandardCharsets.US_ASCII);
            SplittableRandom random = new SplittableRandom(42);
            long expectedReplyBytes = 0;
            for (int k = 0; k < keys; k += batch) {
                feedSets(channel, keyNames, k, Math.min(batch, keys - k), value);
                drain(channel);
            }
            if (store.currItems() != keys) {
                throw new IllegalStateException("loaded " + store.currItems() + " of " + keys + " keys");
            }
            System.out.printf("%d keys of %d B, values of %d B, batches of %d commands, network buffers from %s%n",
                    keys, keyBytes, valueBytes, batch, allocator.getClass().getSimpleName());
            int[] picks = new int[batch];
            for (int round = 0; round < rounds; round++) {
                int commands = 0;
                long replyBytes = 0;
                long start = System.nanoTime();
                while (System.nanoTime() - start < 1_000_000_000L) {
                    for (int b = 0; b < batch; b++) {
                        picks[b] = random.nextInt(keys);
                    }
                    feedGets(channel, keyNames, picks);
                    replyBytes += drain(channel);
                    commands += batch;
                }
                long getNanos = System.nanoTime() - start;
                expectedReplyBytes = (long) commands * (valueBytes + 2 + 5 + "VALUE ".length() + keyBytes + " 0 ".length()
                        + String.valueOf(valueBytes).length() + 2);
                if (replyBytes != expectedReplyBytes) {
                    throw new IllegalStateException("replies: " + replyBytes + " bytes, expected " + expectedReplyBytes);
                }
                int sets = 0;
                start = System.nanoTime();
                while (System.nanoTime() - start < 500_000_000L) {
                    feedSets(channel, keyNames, random.nextInt(keys - batch), batch, value);
                    drain(channel);
                    sets += batch;
                }
                long setNanos = System.nanoTime() - start;
                System.out.printf("round %2d: get %6.0f ns/command, set %6.0f ns/command%n", round,
                        (double) getNanos / commands, (double) setNanos / sets);
            }
            channel.finishAndReleaseAll();
            store.clear();
        }
    }

    private static void feedGets(EmbeddedChannel channel, byte[][] keyNames, int[] picks) {
        ByteBuf in = channel.alloc().buffer();
        for (int k : picks) {
            in.writeBytes(MemcachedBytes.GET).writeBytes(keyNames[k]).writeBytes(MemcachedBytes.CRLF);
        }
        channel.writeInbound(in);
    }

    private static void feedSets(EmbeddedChannel channel, byte[][] keyNames, int from, int count, byte[] value) {
        ByteBuf in = channel.alloc().buffer();
        byte[] header = (" 0 0 " + value.length + " noreply\r\n").getBytes(StandardCharsets.US_ASCII);
        for (int k = from; k < from + count; k++) {
            in.writeBytes(MemcachedBytes.SET).writeBytes(keyNames[k]).writeBytes(header).writeBytes(value).writeBytes(MemcachedBytes.CRLF);
        }
        channel.writeInbound(in);
    }

    /** Reads and releases every reply; {@return the reply bytes} */
    private static long drain(EmbeddedChannel channel) {
        long bytes = 0;
        for (Object o; (o = channel.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            bytes += b.readableBytes();
            b.release();
        }
        return bytes;
    }

    private static final class MemcachedBytes {
        static final byte[] GET = "get ".getBytes(StandardCharsets.US_ASCII);
        static final byte[] SET = "set ".getBytes(StandardCharsets.US_ASCII);
        static final byte[] CRLF = "\r\n".getBytes(StandardCharsets.US_ASCII);
    }
}
