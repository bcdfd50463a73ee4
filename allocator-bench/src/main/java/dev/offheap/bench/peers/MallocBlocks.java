package dev.offheap.bench.peers;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The C library's {@code malloc}/{@code free} called through plain FFM downcalls: what a Java
 * service gets from the platform allocator without any library.
 *
 * <p>Thread-safe (glibc malloc is). Pointers cross the boundary as {@code long} ({@code JAVA_LONG}
 * has the size and the calling convention of a pointer on the 64-bit platforms we run on), so no
 * {@code MemorySegment} is made per call. A {@code NULL} result is turned into an
 * {@link OutOfMemoryError}.
 */
public final class MallocBlocks implements LongBlocks {
    private static final MethodHandle MALLOC;
    private static final MethodHandle FREE;
    /** glibc's {@code malloc_trim}; null where the C library has none (musl, macOS). */
    private static final MethodHandle MALLOC_TRIM;

    static {
        Linker linker = Linker.nativeLinker();
        MALLOC = linker.downcallHandle(find(linker, "malloc"),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        FREE = linker.downcallHandle(find(linker, "free"),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
        MALLOC_TRIM = linker.defaultLookup().find("malloc_trim")
                .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG)))
                .orElse(null);
    }

    private static MemorySegment find(Linker linker, String name) {
        return linker.defaultLookup().find(name)
                .orElseThrow(() -> new PeerUnavailableException("malloc", new UnsatisfiedLinkError(name)));
    }

    /**
     * Calls {@code malloc(byteSize)}.
     *
     * @param byteSize bytes, at least 1
     * @return the address, never 0
     * @throws OutOfMemoryError if malloc returns {@code NULL}
     */
    public static long malloc(long byteSize) {
        long address;
        try {
            address = (long) MALLOC.invokeExact(byteSize);
        } catch (Throwable t) {
            throw new IllegalStateException("malloc downcall failed: byteSize=" + byteSize, t);
        }
        if (address == 0) {
            throw new OutOfMemoryError("malloc returned NULL: byteSize=" + byteSize);
        }
        return address;
    }

    /**
     * Calls {@code free(address)}.
     *
     * @param address an address from {@link #malloc}
     */
    public static void freeAddress(long address) {
        try {
            FREE.invokeExact(address);
        } catch (Throwable t) {
            throw new IllegalStateException("free downcall failed: address=" + address, t);
        }
    }

    @Override
    public long allocate(long byteSize) {
        long address = malloc(byteSize);
        RawMemory.touch(address, byteSize);
        return address;
    }

    /** Calls glibc's {@code malloc_trim(0)}: gives back free memory at the top of the heap and inside it. */
    @Override
    public boolean trim() {
        if (MALLOC_TRIM == null) {
            return false;
        }
        try {
            int released = (int) MALLOC_TRIM.invokeExact(0L);
            return released >= 0; // 1 if memory was released, 0 if none could be
        } catch (Throwable t) {
            throw new IllegalStateException("malloc_trim downcall failed", t);
        }
    }

    @Override
    public void free(long block) {
        freeAddress(block);
    }

    @Override
    public void close() {
    }
}
