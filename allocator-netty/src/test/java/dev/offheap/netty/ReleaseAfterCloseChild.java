package dev.offheap.netty;

import dev.offheap.allocator.facade.OffHeap;
import io.netty.buffer.ByteBuf;

/**
 * Runs in a child JVM ({@link ReleaseAfterCloseTest}): buffers used and released after their
 * {@code OffHeap} was closed, the wrong shutdown order. Each misuse must throw
 * {@link IllegalStateException}; a crash would be the child's exit code. Prints one line per check
 * and exits 0 only if all of them held.
 */
public final class ReleaseAfterCloseChild {
    private ReleaseAfterCloseChild() {
    }

    public static void main(String[] args) {
        OffHeap offHeap = OffHeap.builder().name("netty-closed").reserve(1L << 30).build();
        OffHeapByteBufAllocator alloc = new OffHeapByteBufAllocator(offHeap);
        ByteBuf small = alloc.directBuffer(64).writeLong(1);      // slab
        ByteBuf medium = alloc.directBuffer(100_000).writeLong(2); // free list
        ByteBuf large = alloc.directBuffer(3 << 20).writeLong(3);  // a span of its own
        offHeap.close();
        int failures = 0;
        failures += expectIllegalState("small.getLong", () -> small.getLong(0));
        failures += expectIllegalState("medium.setByte", () -> medium.setByte(10, 1));
        failures += expectIllegalState("large.getBytes", () -> large.getBytes(0, new byte[16]));
        failures += expectIllegalState("small.nioBuffer.get", () -> small.nioBuffer(0, 8).get(0));
        failures += expectIllegalState("small.release", small::release);
        failures += expectIllegalState("medium.release", medium::release);
        failures += expectIllegalState("large.release", large::release);
        boolean dead = small.refCnt() == 0 && medium.refCnt() == 0 && large.refCnt() == 0;
        boolean uncounted = alloc.liveDirectBuffers() == 0;
        System.out.println("refCnt 0 after release: " + dead + ", liveDirectBuffers 0: " + uncounted);
        System.exit(failures == 0 && dead && uncounted ? 0 : 1);
    }

    private static int expectIllegalState(String what, Runnable use) {
        try {
            use.run();
            System.out.println(what + ": no exception");
            return 1;
        } catch (IllegalStateException expected) {
            System.out.println(what + ": IllegalStateException");
            return 0;
        } catch (RuntimeException other) {
            System.out.println(what + ": " + other);
            return 1;
        }
    }
}
