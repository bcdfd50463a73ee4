package dev.offheap.allocator.os;

import dev.offheap.allocator.NativeCallException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.function.LongPredicate;
import java.util.function.Supplier;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The only class that talks to the kernel: downcalls to {@code mmap}, {@code mprotect},
 * {@code madvise}, {@code munmap} and {@code sysconf} through {@link Linker#nativeLinker()}.
 * Every call's result is checked; on failure {@code errno} (captured with
 * {@link Linker.Option#captureCallState}) becomes a {@link NativeCallException} that names the call,
 * its arguments, the errno name and its text.
 *
 * <p>Thread-safety: stateless; every method may be called from any thread. The calls are not on
 * any allocation hot path, so each captures {@code errno} into a small confined arena of its own.
 */
public final class Syscalls {
    /** What {@code mmap} returns on failure: {@code (void *) -1}. */
    private static final long MAP_FAILED = -1L;

    private static final Platform PLATFORM = Platform.current();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle MMAP = downcall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MPROTECT = downcall("mprotect",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MADVISE = downcall("madvise",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MUNMAP = downcall("munmap",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle SYSCONF = downcall("sysconf",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT));

    private Syscalls() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        MemorySegment symbol = libc.find(name).orElseThrow(
                () -> new UnsupportedOperationException("the C library has no symbol " + name + " on " + PLATFORM.name()));
        return linker.downcallHandle(symbol, descriptor, Linker.Option.captureCallState("errno"));
    }

    /** {@return the platform whose constants these calls use} */
    public static Platform platform() {
        return PLATFORM;
    }

    /**
     * Maps anonymous memory.
     *
     * @return the address of the mapping
     * @throws NativeCallException if the kernel refuses
     */
    public static long mmap(long address, long length, int prot, int flags) {
        return invoke(capture -> ((MemorySegment) MMAP.invokeExact(capture, MemorySegment.ofAddress(address),
                        length, prot, flags, -1, 0L)).address(),
                result -> result == MAP_FAILED,
                () -> "mmap(addr=0x" + Long.toHexString(address) + ", len=" + length + ", prot="
                        + Platform.protName(prot) + ", flags=" + PLATFORM.mapFlagsName(flags) + ", fd=-1, offset=0)");
    }

    /**
     * Changes the protection of whole pages.
     *
     * @throws NativeCallException if the kernel refuses
     */
    public static void mprotect(long address, long length, int prot) {
        invoke(capture -> (int) MPROTECT.invokeExact(capture, MemorySegment.ofAddress(address), length, prot),
                Syscalls::nonZero,
                () -> "mprotect(addr=0x" + Long.toHexString(address) + ", len=" + length + ", prot="
                        + Platform.protName(prot) + ")");
    }

    /**
     * Gives the kernel advice about whole pages.
     *
     * @throws NativeCallException if the kernel refuses
     */
    public static void madvise(long address, long length, int advice) {
        invoke(capture -> (int) MADVISE.invokeExact(capture, MemorySegment.ofAddress(address), length, advice),
                Syscalls::nonZero,
                () -> "madvise(addr=0x" + Long.toHexString(address) + ", len=" + length + ", advice="
                        + PLATFORM.adviceName(advice) + ")");
    }

    /**
     * Unmaps whole pages.
     *
     * @throws NativeCallException if the kernel refuses
     */
    public static void munmap(long address, long length) {
        invoke(capture -> (int) MUNMAP.invokeExact(capture, MemorySegment.ofAddress(address), length),
                Syscalls::nonZero,
                () -> "munmap(addr=0x" + Long.toHexString(address) + ", len=" + length + ")");
    }

    /**
     * {@return the size of a page in bytes, from {@code sysconf(_SC_PAGESIZE)}}
     *
     * @throws NativeCallException if the kernel refuses
     */
    public static long pageSize() {
        return invoke(capture -> (long) SYSCONF.invokeExact(capture, PLATFORM.scPageSize()),
                size -> size <= 0,
                () -> "sysconf(_SC_PAGESIZE)");
    }

    /**
     * Puts the calling thread under {@code SCHED_IDLE}: it runs when no other thread of the machine
     * wants its CPU, and a thread that wakes up preempts it at once. For a background thread of the
     * library that holds no lock an application thread may wait for (the region's pre-faulter), so
     * its work never takes a core from the application's threads. Lowering a thread's policy needs
     * no privilege; raising it back does, so a thread lowered stays lowered.
     *
     * @throws UnsupportedOperationException where the system has no such policy (macOS)
     * @throws NativeCallException if the kernel refuses (a seccomp filter, say)
     */
    public static void scheduleCurrentThreadIdle() {
        int policy = PLATFORM.schedIdle();
        if (policy < 0) {
            throw new UnsupportedOperationException("no SCHED_IDLE on " + PLATFORM.name());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment param = arena.allocate(JAVA_INT); // struct sched_param { int sched_priority = 0; }
            // pid 0: on Linux the calling thread, not the whole process.
            invoke(capture -> (int) Linux.SCHED_SETSCHEDULER.invokeExact(capture, 0, policy, param),
                    Syscalls::nonZero,
                    () -> "sched_setscheduler(pid=0, policy=SCHED_IDLE, param={0})");
        }
    }

    /** Downcalls only Linux has, linked at their first use so the class loads everywhere. */
    private static final class Linux {
        static final MethodHandle SCHED_SETSCHEDULER = downcall("sched_setscheduler",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    }

    /** One downcall whose {@code errno} lands in {@code capture}; its result widened to a long. */
    @FunctionalInterface
    private interface Downcall {
        long invoke(MemorySegment capture) throws Throwable;
    }

    private static boolean nonZero(long rc) {
        return rc != 0;
    }

    /**
     * Runs one downcall and turns a failed result into a {@link NativeCallException}. The call's
     * text is built only on failure.
     */
    private static long invoke(Downcall downcall, LongPredicate failed, Supplier<String> call) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            long result = downcall.invoke(capture);
            if (failed.test(result)) {
                throw failure(call.get(), capture);
            }
            return result;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("downcall threw a checked exception", t);
        }
    }

    private static NativeCallException failure(String call, MemorySegment capture) {
        int errno = (int) ERRNO.get(capture, 0L);
        return new NativeCallException(call, errno, Errno.name(PLATFORM, errno), Errno.text(PLATFORM, errno));
    }

    /** {@return whether {@code e} carries the errno of that name on this platform} */
    static boolean is(NativeCallException e, Errno errno) {
        return e.errno() == errno.value(PLATFORM);
    }
}
