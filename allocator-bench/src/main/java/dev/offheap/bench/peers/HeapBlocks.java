package dev.offheap.bench.peers;

/**
 * {@code new byte[n]} on the Java heap: the GC reference every off-heap allocator is weighed
 * against. Freeing is the GC's job; {@code -prof gc} shows its garbage per operation.
 *
 * <p>Thread-safe (it holds nothing).
 */
public final class HeapBlocks implements ObjectBlocks<byte[]> {

    @Override
    public byte[] allocate(long byteSize) {
        byte[] block = new byte[Math.toIntExact(byteSize)];
        block[0] = 1;
        block[block.length - 1] = 1;
        return block;
    }

    @Override
    public void free(byte[] block) {
        // The GC frees it once unreachable.
    }
}
