package dev.offheap.netty;

import dev.offheap.allocator.facade.OffHeap;
import io.netty.buffer.ByteBuf;

/**
 * Runs in a child JVM started with {@code -Dio.netty.buffer.checkAccessible=false}
 * ({@link ReleaseAfterCloseTest}): Netty then skips its reference-count check on access, and a
 * released buffer must still refuse to touch the memory its block no longer owns. Exits 0 only if
 * every access threw {@link IndexOutOfBoundsException}.
 */
public final class UseAfterReleaseUncheckedChild {
    private UseAfterReleaseUncheckedChild() {
    }

    public static void main(String[] args) {
        try (OffHeap offHeap = OffHeap.builder().name("netty-unchecked").reserve(1L << 30).build()) {
            OffHeapByteBufAllocator alloc = new OffHeapByteBufAllocator(offHeap);
            ByteBuf reused = alloc.directBuffer(64);
            reused.release();
            ByteBuf neighbour = alloc.directBuffer(64).writeLong(42); // may take the freed block
            int failures = 0;
            failures += expectOutOfBounds("getLong", () -> reused.getLong(0));
            failures += expectOutOfBounds("setLong", () -> reused.setLong(0, 7));
            failures += expectOutOfBounds("getBytes", () -> reused.getBytes(0, new byte[8]));
            failures += expectOutOfBounds("nioBuffer", () -> reused.nioBuffer(0, 8));
            boolean intact = neighbour.getLong(0) == 42;
            System.out.println("neighbour intact: " + intact);
            neighbour.release();
            System.exit(failures == 0 && intact ? 0 : 1);
        }
    }

    private static int expectOutOfBounds(String what, Runnable use) {
        try {
            use.run();
            System.out.println(what + ": no exception");
            return 1;
        } catch (IndexOutOfBoundsException expected) {
            System.out.println(what + ": IndexOutOfBoundsException");
            return 0;
        } catch (RuntimeException other) {
            System.out.println(what + ": " + other);
            return 1;
        }
    }
}
