package dev.offheap.netty;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.micrometer.OffHeapMetrics;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What only the adapter promises: capacity changes in and out of the block, the OffHeap's limit,
 * release from another thread, and metrics that Micrometer's Netty binder and the library's own
 * binder both read.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OffHeapByteBufAllocatorTest {
    private static final long MiB = 1L << 20;
    private OffHeap offHeap;
    private OffHeapByteBufAllocator alloc;

    @BeforeEach
    void setUp() {
        offHeap = OffHeap.builder().name("netty-adapter").reserve(1L << 30).limit(64 * MiB).decay(Duration.ZERO).build();
        alloc = new OffHeapByteBufAllocator(offHeap);
    }

    @AfterEach
    void tearDown() {
        try {
            assertEquals(0, offHeap.snapshot().liveBlocks());
            assertEquals(0, offHeap.snapshot().leaks());
        } finally {
            offHeap.close();
        }
    }

    @Test
    void capacityGrowsInsideTheBlockWithoutAllocating() {
        ByteBuf buf = alloc.directBuffer(100);
        long usable = alloc.metric().usedDirectMemory();
        assertTrue(usable >= 100, "usable=" + usable);
        long allocations = offHeap.snapshot().allocations();
        buf.capacity((int) usable);
        assertEquals(allocations, offHeap.snapshot().allocations(), "up to the block's usable bytes: in place");
        buf.capacity((int) usable + 1);
        assertEquals(allocations + 1, offHeap.snapshot().allocations(), "positive control: one byte more moves");
        assertEquals(1, offHeap.snapshot().liveBlocks(), "and the old block is freed");
        buf.release();
    }

    @Test
    void capacityMovesAcrossSizeRangesKeepingTheBytes() {
        byte[] data = DirectByteBufContract.pattern(3000);
        ByteBuf buf = alloc.directBuffer(3000).writeBytes(data);
        for (int capacity : new int[] {40_000, 3 * (int) MiB, 200_000, 3000}) { // slab -> free list -> large -> back
            buf.capacity(capacity);
            assertEquals(capacity, buf.capacity());
            assertEquals(1, offHeap.snapshot().liveBlocks());
            byte[] back = new byte[data.length];
            buf.getBytes(0, back);
            assertArrayEquals(data, back, "capacity=" + capacity);
        }
        buf.release();
    }

    @Test
    void theOffHeapLimitFailsTheAllocationAndTheBufferIsUnchanged() {
        ByteBuf small = alloc.directBuffer(64).writeLong(7);
        assertThrows(OutOfOffHeapMemoryException.class, () -> alloc.directBuffer((int) (80 * MiB)));
        assertThrows(OutOfOffHeapMemoryException.class, () -> small.capacity((int) (80 * MiB)));
        assertEquals(64, small.capacity());
        assertEquals(7, small.getLong(0));
        ByteBuf big = alloc.directBuffer((int) (8 * MiB)); // the allocator recovered
        big.release();
        small.release();
    }

    @Test
    void aBufferReleasedOnAnotherThreadFreesItsBlock() throws Exception {
        ByteBuf[] bufs = new ByteBuf[100];
        for (int i = 0; i < bufs.length; i++) {
            bufs[i] = alloc.directBuffer(64 + i * 100).writeInt(i);
        }
        assertEquals(bufs.length, offHeap.snapshot().liveBlocks());
        CompletableFuture.runAsync(() -> {
            for (ByteBuf buf : bufs) {
                buf.release();
            }
        }).get(10, TimeUnit.SECONDS);
        assertEquals(0, alloc.liveDirectBuffers());
    }

    @Test
    void oneBufferBroadcastAsRetainedDuplicatesIsReadOnManyThreadsAndFreedOnce() throws Exception {
        byte[] data = DirectByteBufContract.pattern(10_000);
        ByteBuf shared = alloc.directBuffer(data.length).writeBytes(data);
        int readers = 4;
        ByteBuf[] duplicates = new ByteBuf[readers];
        for (int i = 0; i < readers; i++) {
            duplicates[i] = shared.retainedDuplicate(); // as a broadcast to several channels does
        }
        shared.release();
        assertEquals(1, offHeap.snapshot().liveBlocks(), "the duplicates keep the block");
        java.util.List<CompletableFuture<byte[]>> reads = new java.util.ArrayList<>();
        for (ByteBuf dup : duplicates) {
            reads.add(CompletableFuture.supplyAsync(() -> {
                try {
                    java.nio.ByteBuffer view = dup.nioBuffer(); // all readers make and use the parent's view at once
                    byte[] got = new byte[view.remaining()];
                    view.get(got);
                    return got;
                } finally {
                    dup.release();
                }
            }));
        }
        for (CompletableFuture<byte[]> read : reads) {
            assertArrayEquals(data, read.get(10, TimeUnit.SECONDS));
        }
        assertEquals(0, alloc.liveDirectBuffers(), "the last duplicate's release freed the block");
    }

    @Test
    void usedDirectMemoryIsTheOffHeapsUsedBytesWhenTheAdapterIsItsOnlyUser() {
        ByteBuf a = alloc.directBuffer(100);
        ByteBuf b = alloc.directBuffer(50_000);
        AllocatorSnapshot snapshot = offHeap.snapshot();
        assertEquals(snapshot.usedBytes(), alloc.metric().usedDirectMemory());
        assertTrue(alloc.metric().usedDirectMemory() >= 50_100);
        ByteBuf heap = alloc.heapBuffer(1000);
        assertEquals(1000, alloc.metric().usedHeapMemory());
        a.release();
        b.release();
        heap.release();
        assertEquals(0, alloc.metric().usedDirectMemory());
        assertEquals(0, alloc.metric().usedHeapMemory());
    }

    @Test
    void micrometersNettyBinderAndTheLibrarysBinderBothReadTheAdapter() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new NettyAllocatorMetrics(alloc).bindTo(registry);
        new OffHeapMetrics(offHeap, Tags.empty(), Duration.ZERO).bindTo(registry);
        ByteBuf buf = alloc.directBuffer(4096);
        ByteBuf heap = alloc.heapBuffer(256);
        double nettyDirect = registry.get("netty.allocator.memory.used").tag("memory.type", "direct").gauge().value();
        double nettyHeap = registry.get("netty.allocator.memory.used").tag("memory.type", "heap").gauge().value();
        double libraryUsed = registry.get("offheap.memory.used").gauge().value();
        assertEquals(alloc.metric().usedDirectMemory(), (long) nettyDirect);
        assertTrue(nettyDirect >= 4096, "nettyDirect=" + nettyDirect);
        assertEquals(256, (long) nettyHeap);
        assertEquals(nettyDirect, libraryUsed);
        assertEquals(OffHeapByteBufAllocator.class.getSimpleName(),
                registry.get("netty.allocator.memory.used").tag("memory.type", "direct").gauge().getId()
                        .getTag("allocator.type"));
        buf.release();
        heap.release();
        assertEquals(0, registry.get("netty.allocator.memory.used").tag("memory.type", "direct").gauge().value());
    }
}
