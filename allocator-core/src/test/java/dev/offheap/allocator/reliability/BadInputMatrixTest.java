package dev.offheap.allocator.reliability;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.bump.BumpArena;
import dev.offheap.allocator.internal.Checks;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.region.Span;
import dev.offheap.allocator.testing.Patterns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bad-input matrix: every public method of {@link Region}, {@link Region.Builder},
 * {@link BumpArena}, {@link BumpArena.Builder} and {@link Checks} called with bad arguments
 * (negative, zero, huge, unaligned, null, foreign, stale, closed, wrong thread), one row each:
 * the call must throw exactly the documented exception type (or, where the javadoc says so, do
 * nothing), with a message, and the objects must still work afterwards — the region still lends
 * and takes back spans with exact counts, the arena still allocates and its earlier block still
 * holds its bytes. The table is written to {@code target/bad-input-matrix.md} for docs/reliability.md.
 */
class BadInputMatrixTest {
    private static final long CHUNK = 64 << 10;
    private static final List<String> RENDERED = new ArrayList<>();

    /** Everything a row may need, made fresh for each row. */
    static final class Fixture implements AutoCloseable {
        final Region region = Region.builder().name("matrix").reserve(16 * CHUNK).chunkSize(CHUNK)
                .limit(8 * CHUNK).build();
        final BumpArena arena = BumpArena.ofConfined(region);
        final MemorySegment block = arena.allocate(100, 8);
        final Region other = Region.builder().name("other").reserve(4 * CHUNK).chunkSize(CHUNK).build();
        final Span foreignSpan = other.acquire(CHUNK);
        final Span releasedSpan;
        final long staleMark;
        final long foreignMark;
        final Region closedRegion = Region.builder().name("closed").reserve(4 * CHUNK).chunkSize(CHUNK).build();
        final Span spanOfClosed = closedRegion.acquire(CHUNK);
        final BumpArena closedArena = BumpArena.builder().reserve(4 * CHUNK).build();
        final MemorySegment blockOfClosed = closedArena.allocate(64, 8);

        Fixture() {
            Patterns.fill(block, 7);
            releasedSpan = region.acquire(CHUNK);
            region.release(releasedSpan);
            long before = arena.mark();
            arena.allocate(64, 8);
            staleMark = arena.mark();
            arena.reset(before); // staleMark now lies past the position
            try (BumpArena foreign = BumpArena.builder().reserve(CHUNK).build()) {
                foreign.allocate(8, 8);
                foreignMark = foreign.mark();
            }
            closedRegion.close();
            closedArena.close();
        }

        /** Runs {@code call} on a thread of its own and rethrows what it threw, here. */
        void onOtherThread(Executable call) throws Throwable {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    call.execute();
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            t.join();
            if (thrown.get() != null) {
                throw thrown.get();
            }
        }

        /** The objects still work: the region lends with exact counts, the arena allocates, bytes kept. */
        void assertStillWorks() {
            long used = region.usedBytes();
            Span span = region.acquire(1);
            assertEquals(used + CHUNK, region.usedBytes());
            region.release(span);
            assertEquals(used, region.usedBytes());
            assertTrue(region.committedBytes() <= region.limitBytes());
            MemorySegment next = arena.allocate(32, 16);
            assertTrue(Patterns.isZero(next));
            assertTrue(Patterns.holds(block, 7), "an earlier block was disturbed");
            assertEquals(arena.committedBytes(), region.usedBytes());
        }

        @Override
        public void close() {
            arena.close();
            region.close();
            other.close();
        }
    }

    /** A call that takes the fixture. */
    @FunctionalInterface
    interface Call {
        void run(Fixture f) throws Throwable;
    }

    /** One row: the method, the bad input, the expected outcome ({@code null}: returns normally). */
    record Row(String method, String input, Class<? extends Throwable> expected, Call call) {
        @Override
        public String toString() {
            return method + " / " + input;
        }
    }

    private static Row row(String method, String input, Class<? extends Throwable> expected, Call call) {
        return new Row(method, input, expected, call);
    }

    static Stream<Row> rows() {
        Class<IllegalArgumentException> iae = IllegalArgumentException.class;
        Class<IllegalStateException> ise = IllegalStateException.class;
        Class<OutOfOffHeapMemoryException> oom = OutOfOffHeapMemoryException.class;
        Class<NullPointerException> npe = NullPointerException.class;
        Class<WrongThreadException> wte = WrongThreadException.class;
        return Stream.of(
                // Region
                row("Region.acquire(long)", "zero", iae, f -> f.region.acquire(0)),
                row("Region.acquire(long)", "negative (-1)", iae, f -> f.region.acquire(-1)),
                row("Region.acquire(long)", "Long.MIN_VALUE", iae, f -> f.region.acquire(Long.MIN_VALUE)),
                row("Region.acquire(long)", "Long.MAX_VALUE", oom, f -> f.region.acquire(Long.MAX_VALUE)),
                row("Region.acquire(long)", "reservation + 1", oom, f -> f.region.acquire(f.region.reservedBytes() + 1)),
                row("Region.acquire(long)", "over the limit on committed bytes", oom, f -> f.region.acquire(9 * CHUNK)),
                row("Region.acquire(long)", "closed region", ise, f -> f.closedRegion.acquire(CHUNK)),
                row("Region.release(Span)", "null", npe, f -> f.region.release(null)),
                row("Region.release(Span)", "foreign span (another region's)", iae, f -> f.region.release(f.foreignSpan)),
                row("Region.release(Span)", "stale span (released already)", ise, f -> f.region.release(f.releasedSpan)),
                row("Region.release(Span)", "span of a closed region", null, f -> f.closedRegion.release(f.spanOfClosed)),
                row("Region.trim()", "closed region", ise, f -> f.closedRegion.trim()),
                row("Region.close()", "closed already", null, f -> f.closedRegion.close()),
                row("Span.segment() access", "after release and decommit (trim)", ise, f -> {
                    f.region.trim();
                    f.releasedSpan.segment().get(ValueLayout.JAVA_BYTE, 0);
                }),
                row("Span.segment() access", "after the region closed", ise, f -> f.spanOfClosed.segment().get(ValueLayout.JAVA_BYTE, 0)),
                row("Span.segment() access", "one past the end", IndexOutOfBoundsException.class,
                        f -> f.foreignSpan.segment().get(ValueLayout.JAVA_BYTE, f.foreignSpan.byteSize())),
                row("Region.{name,reservedBytes,committedBytes,usedBytes,limitBytes,...}()", "closed region", null, f -> {
                    f.closedRegion.name();
                    f.closedRegion.reservedBytes();
                    assertEquals(0, f.closedRegion.committedBytes());
                    assertEquals(0, f.closedRegion.usedBytes());
                    f.closedRegion.limitBytes();
                    f.closedRegion.decommittedBytesTotal();
                    f.closedRegion.decommitFailures();
                    f.closedRegion.chunkBytes();
                    f.closedRegion.baseAddress();
                    assertTrue(f.closedRegion.isClosed());
                }),
                // Region.Builder
                row("Region.Builder.name(String)", "null", npe, f -> Region.builder().name(null)),
                row("Region.Builder.reserve(long)", "zero", iae, f -> Region.builder().reserve(0)),
                row("Region.Builder.reserve(long)", "negative (-1)", iae, f -> Region.builder().reserve(-1)),
                row("Region.Builder.reserve(long)", "MAX_RESERVE_BYTES + 1", iae, f -> Region.builder().reserve(Region.MAX_RESERVE_BYTES + 1)),
                row("Region.Builder.reserve(long)", "Long.MAX_VALUE", iae, f -> Region.builder().reserve(Long.MAX_VALUE)),
                row("Region.Builder.chunkSize(long).build()", "zero", iae, f -> Region.builder().chunkSize(0).build()),
                row("Region.Builder.chunkSize(long).build()", "negative (-4096)", iae, f -> Region.builder().chunkSize(-4096).build()),
                row("Region.Builder.chunkSize(long).build()", "not a power of two (3 MiB)", iae, f -> Region.builder().chunkSize(3 << 20).build()),
                row("Region.Builder.chunkSize(long).build()", "below the page size (1024)", iae, f -> Region.builder().chunkSize(1024).build()),
                row("Region.Builder.chunkSize(long).build()", "above 1 GiB (2 GiB)", iae, f -> Region.builder().chunkSize(2L << 30).build()),
                row("Region.Builder.limit(long)", "zero", iae, f -> Region.builder().limit(0)),
                row("Region.Builder.limit(long)", "negative (-1)", iae, f -> Region.builder().limit(-1)),
                row("Region.Builder.decay(Duration)", "negative (-1 s)", iae, f -> Region.builder().decay(Duration.ofSeconds(-1))),
                row("Region.Builder.decay(Duration)", "null", npe, f -> Region.builder().decay(null)),
                // BumpArena
                row("BumpArena.allocate(long, long)", "negative size (-1)", iae, f -> f.arena.allocate(-1, 8)),
                row("BumpArena.allocate(long, long)", "Long.MIN_VALUE size", iae, f -> f.arena.allocate(Long.MIN_VALUE, 8)),
                row("BumpArena.allocate(long, long)", "zero alignment", iae, f -> f.arena.allocate(8, 0)),
                row("BumpArena.allocate(long, long)", "negative alignment (-8)", iae, f -> f.arena.allocate(8, -8)),
                row("BumpArena.allocate(long, long)", "unaligned: alignment not a power of two (24)", iae, f -> f.arena.allocate(8, 24)),
                row("BumpArena.allocate(long, long)", "alignment above the chunk size", iae, f -> f.arena.allocate(8, 2 * CHUNK)),
                row("BumpArena.allocate(long, long)", "huge size (Long.MAX_VALUE)", oom, f -> f.arena.allocate(Long.MAX_VALUE, 8)),
                row("BumpArena.allocate(long, long)", "over the region's limit", oom, f -> f.arena.allocate(9 * CHUNK, 8)),
                row("BumpArena.allocate(long, long)", "closed arena", ise, f -> f.closedArena.allocate(8, 8)),
                row("BumpArena.allocate(long, long)", "wrong thread", wte, f -> f.onOtherThread(() -> f.arena.allocate(8, 8))),
                row("BumpArena.allocate(long) (SegmentAllocator)", "negative size (-1)", iae, f -> f.arena.allocate(-1)),
                row("BumpArena.allocateAddress(long, long)", "negative size (-1)", iae, f -> f.arena.allocateAddress(-1, 8)),
                row("BumpArena.allocateAddress(long, long)", "alignment not a power of two (3)", iae, f -> f.arena.allocateAddress(8, 3)),
                row("BumpArena.allocateAddress(long, long)", "huge size (Long.MAX_VALUE)", oom, f -> f.arena.allocateAddress(Long.MAX_VALUE, 8)),
                row("BumpArena.allocateAddress(long, long)", "closed arena", ise, f -> f.closedArena.allocateAddress(8, 8)),
                row("BumpArena.allocateAddress(long, long)", "wrong thread", wte, f -> f.onOtherThread(() -> f.arena.allocateAddress(8, 8))),
                row("BumpArena.mark()", "closed arena", ise, f -> f.closedArena.mark()),
                row("BumpArena.mark()", "wrong thread", wte, f -> f.onOtherThread(f.arena::mark)),
                row("BumpArena.reset(long)", "foreign mark (another arena's)", iae, f -> f.arena.reset(f.foreignMark)),
                row("BumpArena.reset(long)", "stale mark (past the position)", iae, f -> f.arena.reset(f.staleMark)),
                row("BumpArena.reset(long)", "garbage (-1)", iae, f -> f.arena.reset(-1L)),
                row("BumpArena.reset(long)", "closed arena", ise, f -> f.closedArena.reset(0L)),
                row("BumpArena.reset(long)", "wrong thread", wte, f -> f.onOtherThread(() -> f.arena.reset(f.arena.mark()))),
                row("BumpArena.reset()", "closed arena", ise, f -> f.closedArena.reset()),
                row("BumpArena.reset()", "wrong thread", wte, f -> f.onOtherThread(f.arena::reset)),
                row("BumpArena.close()", "wrong thread", wte, f -> f.onOtherThread(f.arena::close)),
                row("BumpArena.close()", "closed already", null, f -> f.closedArena.close()),
                row("BumpArena segment access", "after the arena closed", ise, f -> f.blockOfClosed.get(ValueLayout.JAVA_BYTE, 0)),
                row("BumpArena segment access", "one past the end", IndexOutOfBoundsException.class, f -> f.block.get(ValueLayout.JAVA_BYTE, 100)),
                row("BumpArena.{usedBytes,committedBytes,region}()", "closed arena, any thread", null, f -> f.onOtherThread(() -> {
                    assertEquals(0, f.closedArena.usedBytes());
                    assertEquals(0, f.closedArena.committedBytes());
                    assertNotNull(f.closedArena.region());
                })),
                // BumpArena.Builder
                row("BumpArena.Builder.region(Region)", "null", npe, f -> BumpArena.builder().region(null)),
                row("BumpArena.Builder.name(String)", "null", npe, f -> BumpArena.builder().name(null)),
                row("BumpArena.Builder.reserve(long)", "zero", iae, f -> BumpArena.builder().reserve(0)),
                row("BumpArena.Builder.reserve(long)", "negative (-1)", iae, f -> BumpArena.builder().reserve(-1)),
                row("BumpArena.Builder.reserve(long).build()", "MAX_RESERVE_BYTES + 1", iae,
                        f -> BumpArena.builder().reserve(Region.MAX_RESERVE_BYTES + 1).build()),
                row("BumpArena.Builder.region(Region).build()", "closed region: first allocate", ise,
                        f -> BumpArena.builder().region(f.closedRegion).build().allocate(8, 8)),
                // Checks
                row("Checks.checkSizeAndAlignment", "negative size (-1)", iae, f -> Checks.checkSizeAndAlignment(-1, 8, 64)),
                row("Checks.checkSizeAndAlignment", "zero alignment", iae, f -> Checks.checkSizeAndAlignment(8, 0, 64)),
                row("Checks.checkSizeAndAlignment", "unaligned (alignment 3)", iae, f -> Checks.checkSizeAndAlignment(8, 3, 64)),
                row("Checks.checkSizeAndAlignment", "alignment above the maximum", iae, f -> Checks.checkSizeAndAlignment(8, 128, 64)),
                row("Checks.checkAlignment", "negative (-8)", iae, f -> Checks.checkAlignment(-8, 64)),
                row("Checks.checkAlignment", "Long.MIN_VALUE", iae, f -> Checks.checkAlignment(Long.MIN_VALUE, 64)),
                row("Checks.checkPowerOfTwo", "zero", iae, f -> Checks.checkPowerOfTwo("x", 0, 1, 1024)),
                row("Checks.checkPowerOfTwo", "not a power of two (3)", iae, f -> Checks.checkPowerOfTwo("x", 3, 1, 1024)),
                row("Checks.checkPowerOfTwo", "below the minimum", iae, f -> Checks.checkPowerOfTwo("x", 2, 4, 1024)),
                row("Checks.checkPowerOfTwo", "above the maximum", iae, f -> Checks.checkPowerOfTwo("x", 2048, 1, 1024)),
                row("Checks.checkPowerOfTwo", "Long.MIN_VALUE", iae, f -> Checks.checkPowerOfTwo("x", Long.MIN_VALUE, 1, 1024)),
                row("Checks.checkPositive", "zero", iae, f -> Checks.checkPositive("x", 0)),
                row("Checks.checkPositive", "negative (-1)", iae, f -> Checks.checkPositive("x", -1)),
                row("Checks.checkNotNegative", "negative (Long.MIN_VALUE)", iae, f -> Checks.checkNotNegative("x", Long.MIN_VALUE)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void everyBadInputGetsItsExceptionAndTheObjectsStillWork(Row row) {
        try (Fixture f = new Fixture()) {
            if (row.expected() == null) {
                assertDoesNotThrow(() -> row.call().run(f), row.toString());
            } else {
                Throwable e = assertThrows(row.expected(), () -> row.call().run(f), row.toString());
                assertEquals(row.expected(), e.getClass(), "exactly the documented type");
                assertNotNull(e.getMessage(), "a message that says what was wrong");
            }
            f.assertStillWorks();
        }
        synchronized (RENDERED) {
            RENDERED.add("| `" + row.method().replace("|", "\\|") + "` | " + row.input() + " | "
                    + (row.expected() == null ? "returns normally (documented no-op)" : "`" + row.expected().getSimpleName() + "`")
                    + " |");
        }
    }

    @AfterAll
    static void renderTheTable() throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("| method | bad input | outcome |");
        lines.add("| --- | --- | --- |");
        lines.addAll(RENDERED);
        Path target = Path.of("target");
        if (Files.isDirectory(target)) {
            Files.write(target.resolve("bad-input-matrix.md"), lines);
        }
    }
}
