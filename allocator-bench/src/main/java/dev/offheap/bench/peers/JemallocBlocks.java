package dev.offheap.bench.peers;

import org.lwjgl.system.jemalloc.JEmalloc;

/**
 * jemalloc through LWJGL's JNI bindings ({@code lwjgl-jemalloc} with its Linux natives): what a
 * service gets from a modern general-purpose native allocator.
 *
 * <p>Thread-safe (jemalloc is, with per-thread caches). A {@code NULL} result is turned into an
 * {@link OutOfMemoryError}.
 */
public final class JemallocBlocks implements LongBlocks {

    /**
     * Loads jemalloc's native library.
     *
     * @throws PeerUnavailableException if the native library does not load on this machine
     */
    public JemallocBlocks() {
        try {
            JEmalloc.nje_free(JEmalloc.nje_malloc(8));
        } catch (Throwable t) { // LinkageError or LWJGL's IllegalStateException
            throw new PeerUnavailableException("jemalloc", t);
        }
    }

    @Override
    public long allocate(long byteSize) {
        long address = JEmalloc.nje_malloc(byteSize);
        if (address == 0) {
            throw new OutOfMemoryError("je_malloc returned NULL: byteSize=" + byteSize);
        }
        RawMemory.touch(address, byteSize);
        return address;
    }

    /** Purges every arena ({@code mallctl("arena.<MALLCTL_ARENAS_ALL>.purge")}). */
    @Override
    public boolean trim() {
        int error = JEmalloc.je_mallctl("arena." + JEmalloc.MALLCTL_ARENAS_ALL + ".purge", null, null, null);
        if (error != 0) {
            throw new IllegalStateException("je_mallctl arena purge failed: error=" + error);
        }
        return true;
    }

    @Override
    public void free(long block) {
        JEmalloc.nje_free(block);
    }

    @Override
    public void close() {
    }
}
