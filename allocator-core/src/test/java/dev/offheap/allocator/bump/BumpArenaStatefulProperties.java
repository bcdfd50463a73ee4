package dev.offheap.allocator.bump;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.testing.Patterns;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Long random sequences of allocate (segment and raw address, good and bad arguments) / mark /
 * reset to a mark / full reset / foreign mark / close on a bump arena over a small region with a
 * limit, checked after every step: live blocks never overlap, are aligned and sized as asked, read
 * zero when handed out (zeroing on), keep their pattern until a reset frees them; {@code usedBytes}
 * returns exactly to its value at a mark on reset; a refused request (bad argument or out of
 * memory) changes nothing; the arena's spans are exactly the region's used bytes; close gives them
 * all back and every segment throws afterwards.
 */
class BumpArenaStatefulProperties {
    static final long CHUNK = 64 << 10;
    static final int CHUNKS = 32;

    private final List<AutoCloseable> opened = new ArrayList<>();

    @AfterTry
    void closeAll() throws Exception {
        for (AutoCloseable c : opened.reversed()) {
            c.close();
        }
        opened.clear();
    }

    @Property(tries = 200)
    void everyStepKeepsTheArenaConsistent(@ForAll("arenaChains") ActionChain<State> chain) {
        State end = chain.withInvariant("consistent", State::check).run();
        if (!end.closed) {
            end.close();
        }
        assertEquals(0, end.region.usedBytes(), "every span back in the region");
        end.region.trim();
        assertEquals(0, end.region.committedBytes(), "everything back in the free state");
    }

    @Provide
    Arbitrary<ActionChain<State>> arenaChains() {
        return Combinators.combine(Arbitraries.integers().between(2, CHUNKS + 2), Arbitraries.of(true, false))
                .flatAs((limitChunks, zeroing) -> ActionChain.<State>startWith(() -> new State(limitChunks * CHUNK, zeroing, opened))
                        .withAction(8, new AllocateAction())
                        .withAction(1, new BadAllocateAction())
                        .withAction(2, Action.<State>when(s -> !s.closed).describeAs("mark").justMutate(State::mark))
                        .withAction(2, new ResetToMarkAction())
                        .withAction(1, Action.<State>when(s -> !s.closed).describeAs("reset()").justMutate(State::resetAll))
                        .withAction(1, Action.<State>when(s -> !s.closed).describeAs("resetForeignMark").justMutate(State::resetForeignMark))
                        .withAction(1, Action.<State>when(s -> !s.closed).describeAs("close").justMutate(State::close))
                        .withAction(1, Action.<State>when(s -> s.closed).describeAs("misuseAfterClose").justMutate(State::misuseAfterClose))
                        .withMaxTransformations(60));
    }

    record Block(MemorySegment segment, long id) {
    }

    record Mark(long mark, int liveCount, long usedBytes) {
    }

    static final class State {
        final Region region;
        final BumpArena arena;
        final BumpArena foreign;
        final boolean zeroing;
        final List<Block> live = new ArrayList<>();
        final List<Mark> marks = new ArrayList<>();
        final List<MemorySegment> everHandedOut = new ArrayList<>();
        long nextId;
        boolean closed;

        State(long limitBytes, boolean zeroing, List<AutoCloseable> opened) {
            this.zeroing = zeroing;
            region = Region.builder().name("bump-model").reserve(CHUNKS * CHUNK).chunkSize(CHUNK).limit(limitBytes).build();
            opened.add(region);
            arena = BumpArena.builder().region(region).zeroing(zeroing).build();
            opened.add(arena);
            foreign = BumpArena.builder().reserve(CHUNK).build();
            opened.add(foreign);
        }

        void allocate(long byteSize, long alignment, boolean raw) {
            long usedBefore = arena.usedBytes();
            long committedBefore = arena.committedBytes();
            MemorySegment block;
            try {
                block = raw
                        ? MemorySegment.ofAddress(arena.allocateAddress(byteSize, alignment)).reinterpret(byteSize)
                        : arena.allocate(byteSize, alignment);
            } catch (OutOfOffHeapMemoryException e) {
                assertEquals(usedBefore, arena.usedBytes(), "a refused allocation uses nothing");
                assertEquals(committedBefore, arena.committedBytes(), "a refused allocation holds no new span");
                return;
            }
            assertEquals(byteSize, block.byteSize());
            assertEquals(0, block.address() % alignment, "aligned");
            assertTrue(arena.usedBytes() - usedBefore >= byteSize, "used grows by the block at least");
            if (zeroing) {
                assertTrue(Patterns.isZero(block), "handed out zeroed");
            }
            for (Block other : live) {
                MemorySegment o = other.segment;
                assertTrue(block.byteSize() == 0 || o.byteSize() == 0
                        || block.address() + block.byteSize() <= o.address()
                        || o.address() + o.byteSize() <= block.address(), "blocks overlap");
            }
            long id = nextId++;
            Patterns.fill(block, id);
            live.add(new Block(block, id));
            if (!raw) {
                everHandedOut.add(block);
            }
        }

        void badAllocate(long byteSize, long alignment) {
            long usedBefore = arena.usedBytes();
            assertThrows(IllegalArgumentException.class, () -> arena.allocate(byteSize, alignment));
            assertThrows(IllegalArgumentException.class, () -> arena.allocateAddress(byteSize, alignment));
            assertEquals(usedBefore, arena.usedBytes());
        }

        void mark() {
            marks.add(new Mark(arena.mark(), live.size(), arena.usedBytes()));
        }

        void resetTo(int index) {
            Mark m = marks.get(index);
            arena.reset(m.mark);
            marks.subList(index + 1, marks.size()).clear();
            live.subList(m.liveCount, live.size()).clear();
            assertEquals(m.usedBytes, arena.usedBytes(), "used bytes back to the mark's");
        }

        void resetAll() {
            arena.reset();
            marks.clear();
            live.clear();
            assertEquals(0, arena.usedBytes());
        }

        void resetForeignMark() {
            long mark = foreign.mark();
            long used = arena.usedBytes();
            assertThrows(IllegalArgumentException.class, () -> arena.reset(mark));
            assertEquals(used, arena.usedBytes());
        }

        void close() {
            arena.close();
            closed = true;
            live.clear();
            marks.clear();
            assertEquals(0, region.usedBytes(), "close gives every span back");
            for (MemorySegment segment : everHandedOut) {
                if (segment.byteSize() > 0) {
                    assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_BYTE, 0));
                }
            }
            arena.close(); // idempotent
        }

        void misuseAfterClose() {
            assertThrows(IllegalStateException.class, () -> arena.allocate(8, 8));
            assertThrows(IllegalStateException.class, () -> arena.allocateAddress(8, 8));
            assertThrows(IllegalStateException.class, arena::mark);
            assertThrows(IllegalStateException.class, arena::reset);
            assertEquals(0, arena.usedBytes());
            assertEquals(0, arena.committedBytes());
        }

        void check() {
            assertEquals(arena.committedBytes(), region.usedBytes(), "the arena's spans are the region's used bytes");
            assertTrue(region.committedBytes() <= region.limitBytes(), "limit honoured");
            long liveBytes = 0;
            for (Block b : live) {
                assertTrue(Patterns.holds(b.segment, b.id), "block " + b.id + " intact");
                liveBytes += b.segment.byteSize();
            }
            assertTrue(arena.usedBytes() >= liveBytes, "used covers the live blocks");
        }

        @Override
        public String toString() {
            return "State[" + region + ", zeroing=" + zeroing + ", live=" + live.size() + ", used="
                    + (closed ? "closed" : arena.usedBytes()) + "]";
        }
    }

    static final class AllocateAction implements Action.Independent<State> {
        @Override
        public boolean precondition(State s) {
            return !s.closed;
        }

        @Override
        public Arbitrary<Transformer<State>> transformer() {
            Arbitrary<Long> sizes = Arbitraries.frequencyOf(
                    Tuple.of(6, Arbitraries.longs().between(0, 512)),
                    Tuple.of(3, Arbitraries.longs().between(513, 3 * CHUNK)),
                    Tuple.of(1, Arbitraries.longs().between(3 * CHUNK, 8 * CHUNK)));
            Arbitrary<Long> alignments = Arbitraries.integers().between(0, 16).map(shift -> 1L << shift);
            return Combinators.combine(sizes, alignments, Arbitraries.of(false, true)).as((size, alignment, raw) ->
                    Transformer.mutate((raw ? "allocateAddress(" : "allocate(") + size + ", " + alignment + ")",
                            s -> s.allocate(size, alignment, raw)));
        }
    }

    static final class BadAllocateAction implements Action.Independent<State> {
        @Override
        public boolean precondition(State s) {
            return !s.closed;
        }

        @Override
        public Arbitrary<Transformer<State>> transformer() {
            Arbitrary<Tuple.Tuple2<Long, Long>> bad = Arbitraries.oneOf(
                    Arbitraries.longs().between(Long.MIN_VALUE, -1).map(size -> Tuple.of(size, 8L)),
                    Arbitraries.of(0L, 3L, 24L, -8L, Long.MIN_VALUE, CHUNK * 2, 1L << 62).map(a -> Tuple.of(16L, a)));
            return bad.map(t -> Transformer.mutate("allocate(" + t.get1() + ", " + t.get2() + ") refused",
                    s -> s.badAllocate(t.get1(), t.get2())));
        }
    }

    static final class ResetToMarkAction implements Action.Dependent<State> {
        @Override
        public boolean precondition(State s) {
            return !s.closed && !s.marks.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<State>> transformer(State s) {
            return Arbitraries.integers().between(0, s.marks.size() - 1)
                    .map(i -> Transformer.mutate("reset(mark " + i + ")", st -> st.resetTo(i)));
        }
    }
}
