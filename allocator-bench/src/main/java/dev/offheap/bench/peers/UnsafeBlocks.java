package dev.offheap.bench.peers;

import sun.misc.Unsafe;

import java.lang.reflect.Field;

/**
 * {@code sun.misc.Unsafe.allocateMemory}/{@code freeMemory}: the old way Java code got native
 * memory (a thin wrapper over malloc). Deprecated for removal since JDK 23 (JEP 471): JDK 24 and 25
 * print a warning on first use, and {@code --sun-misc-unsafe-memory-access=deny} (the default in a
 * later JDK) makes it throw; then the constructor throws {@link PeerUnavailableException} and JMH
 * reports the variant as failed instead of the JVM crashing.
 *
 * <p>Thread-safe.
 */
@SuppressWarnings("removal")
public final class UnsafeBlocks implements LongBlocks {
    private final Unsafe unsafe;

    /**
     * Finds {@code theUnsafe} and checks that its memory methods are permitted.
     *
     * @throws PeerUnavailableException if this JDK does not permit them
     */
    public UnsafeBlocks() {
        this.unsafe = unsafeOrThrow("unsafe");
        try {
            unsafe.freeMemory(unsafe.allocateMemory(8));
        } catch (UnsupportedOperationException e) {
            throw new PeerUnavailableException("unsafe", e);
        }
    }

    /**
     * {@return {@code sun.misc.Unsafe.theUnsafe}}
     *
     * @param peer the peer that needs it, for the message
     * @throws PeerUnavailableException if it cannot be had
     */
    static Unsafe unsafeOrThrow(String peer) {
        try {
            Field field = Unsafe.class.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            return (Unsafe) field.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new PeerUnavailableException(peer, e);
        }
    }

    @Override
    public long allocate(long byteSize) {
        long address = unsafe.allocateMemory(byteSize); // throws OutOfMemoryError itself
        unsafe.putByte(address, (byte) 1);
        unsafe.putByte(address + byteSize - 1, (byte) 1);
        return address;
    }

    @Override
    public void free(long block) {
        unsafe.freeMemory(block);
    }

    @Override
    public void close() {
    }
}
