package dev.offheap.bench.peers;

import sun.misc.Unsafe;

import java.nio.ByteBuffer;

/**
 * {@code ByteBuffer.allocateDirect}: the JDK's classic off-heap buffer. It zeroes every buffer and
 * counts it against {@code -XX:MaxDirectMemorySize}. Freed at once through
 * {@code Unsafe.invokeCleaner} (what Netty and others do); where that is not permitted, freeing is
 * left to the GC, as code that never frees explicitly does (the report then shows GC-driven cost).
 *
 * <p>Thread-safe.
 */
@SuppressWarnings("removal")
public final class DirectByteBufferBlocks implements ObjectBlocks<ByteBuffer> {
    private final Unsafe cleaner;

    /** Looks up {@code Unsafe.invokeCleaner}; falls back to GC-driven freeing without it. */
    public DirectByteBufferBlocks() {
        Unsafe found;
        try {
            found = UnsafeBlocks.unsafeOrThrow("directByteBuffer");
            found.invokeCleaner(ByteBuffer.allocateDirect(1));
        } catch (RuntimeException e) {
            found = null;
        }
        this.cleaner = found;
    }

    /** {@return whether blocks are freed at once (true) or left to the GC (false)} */
    public boolean freesExplicitly() {
        return cleaner != null;
    }

    @Override
    public ByteBuffer allocate(long byteSize) {
        ByteBuffer block = ByteBuffer.allocateDirect(Math.toIntExact(byteSize));
        block.put(0, (byte) 1);
        block.put(block.capacity() - 1, (byte) 1);
        return block;
    }

    @Override
    public void free(ByteBuffer block) {
        if (cleaner != null) {
            cleaner.invokeCleaner(block);
        }
    }
}
