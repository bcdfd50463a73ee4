package dev.offheap.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;

/**
 * What a first touch of a page costs, the cost every other workload keeps out of its figures: per
 * 4 KiB page, the write of one byte to a page that is already resident, the same write to a page
 * fresh from {@code mmap} (a page fault: the kernel zeroes and maps a page), and populating fresh
 * pages with {@code madvise(MADV_POPULATE_WRITE)} before writing (what this library's region does
 * off the hot path). A 1 MiB mapping cannot hold a transparent huge page, so every page faults
 * alone. Linux only: the mmap variants report unavailable elsewhere.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
@State(Scope.Thread)
public class FirstTouchBenchmark {
    static final int PAGE = 4096;
    static final int PAGES = 256;
    static final long BYTES = (long) PAGE * PAGES;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_POPULATE_WRITE = 23;
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MADVISE;

    static {
        Linker linker = Linker.nativeLinker();
        var lookup = linker.defaultLookup();
        MMAP = linker.downcallHandle(lookup.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        MUNMAP = linker.downcallHandle(lookup.find("munmap").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        MADVISE = linker.downcallHandle(lookup.find("madvise").orElseThrow(), FunctionDescriptor.of(
                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    }

    private Arena arena;
    private MemorySegment resident;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofConfined();
        resident = arena.allocate(BYTES, PAGE);
        resident.fill((byte) 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    private static long map() throws Throwable {
        long address = (long) MMAP.invokeExact(0L, BYTES, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
        if (address == -1L) {
            throw new OutOfMemoryError("mmap failed: bytes=" + BYTES);
        }
        return address;
    }

    private static void unmap(long address) throws Throwable {
        if ((int) MUNMAP.invokeExact(address, BYTES) != 0) {
            throw new IllegalStateException("munmap failed: address=" + address);
        }
    }

    private static long writeEveryPage(long address) {
        for (long offset = 0; offset < BYTES; offset += PAGE) {
            EVERYTHING.set(ValueLayout.JAVA_BYTE, address + offset, (byte) 1);
        }
        return address;
    }

    /** One byte written per page of memory that is already resident: the baseline. */
    @Benchmark
    @OperationsPerInvocation(PAGES)
    public long residentPage() {
        return writeEveryPage(resident.address());
    }

    /** mmap 1 MiB, write one byte per page (each write faults), munmap; per page. */
    @Benchmark
    @OperationsPerInvocation(PAGES)
    public long freshPage() throws Throwable {
        long address = writeEveryPage(map());
        unmap(address);
        return address;
    }

    /** mmap 1 MiB, {@code MADV_POPULATE_WRITE} it, write one byte per page, munmap; per page. */
    @Benchmark
    @OperationsPerInvocation(PAGES)
    public long populatedPage() throws Throwable {
        long address = map();
        if ((int) MADVISE.invokeExact(address, BYTES, MADV_POPULATE_WRITE) != 0) {
            unmap(address);
            throw new UnsupportedOperationException("madvise(MADV_POPULATE_WRITE) failed: needs Linux 5.14+");
        }
        writeEveryPage(address);
        unmap(address);
        return address;
    }
}
