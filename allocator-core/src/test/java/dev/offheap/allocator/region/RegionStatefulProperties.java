package dev.offheap.allocator.region;

import dev.offheap.allocator.OutOfOffHeapMemoryException;
import dev.offheap.allocator.testing.Patterns;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Long random sequences of acquire / release / double release / foreign release / clock ticks /
 * trim / close on a small region with a limit, each step checked against {@link RegionModel}: the
 * address of every span, {@code zeroed()}, every refusal, committed and used bytes exactly; no two
 * live spans overlap; every byte of every live span still holds its owner's pattern; at the end
 * everything released and trimmed leaves nothing committed. jqwik shrinks a failure to the
 * shortest sequence that still fails.
 */
class RegionStatefulProperties {
    static final long CHUNK = 64 << 10;
    static final int CHUNKS = 24;
    static final long DECAY_NANOS = 1_000;

    private final List<AutoCloseable> opened = new ArrayList<>();

    @AfterTry
    void closeRegions() throws Exception {
        for (AutoCloseable c : opened) {
            c.close();
        }
        opened.clear();
    }

    @Property(tries = 200)
    void everyStepMatchesTheModel(@ForAll("regionChains") ActionChain<State> chain) {
        State end = chain.withInvariant("matches the model", State::check).run();
        if (!end.region.isClosed()) {
            for (LiveSpan live : List.copyOf(end.live)) {
                end.release(live);
            }
            end.region.trim();
            assertEquals(0, end.region.committedBytes(), "everything back in the free state");
            assertEquals(0, end.region.usedBytes());
            end.region.close();
        }
        assertEquals(0, end.region.committedBytes());
    }

    @Provide
    Arbitrary<ActionChain<State>> regionChains() {
        return Arbitraries.integers().between(2, CHUNKS + 2).flatMap(limitChunks ->
                ActionChain.<State>startWith(() -> new State(limitChunks * CHUNK, opened))
                        .withAction(6, new AcquireAction())
                        .withAction(5, new ReleaseAction())
                        .withAction(1, Action.<State>when(s -> !s.closed() && !s.released.isEmpty())
                                .describeAs("releaseTwice").justMutate(State::releaseTwice))
                        .withAction(1, Action.<State>when(s -> !s.closed()).describeAs("releaseForeign").justMutate(State::releaseForeign))
                        .withAction(3, new TickAction())
                        .withAction(1, Action.<State>when(s -> !s.closed()).describeAs("trim").justMutate(State::trim))
                        .withAction(1, Action.<State>when(s -> !s.closed()).describeAs("close").justMutate(State::close))
                        .withAction(1, Action.<State>when(State::closed).describeAs("misuseAfterClose").justMutate(State::misuseAfterClose))
                        .withMaxTransformations(60));
    }

    /** A span the property holds, with the id whose pattern fills it and the chunks the model gave. */
    record LiveSpan(Span span, long id, int first, int count, long scope) {
    }

    /** A slice of a released span and the model's id of the scope of its run. */
    record KeptSegment(MemorySegment segment, long scope) {
    }

    /** The region under test, its model, and what the sequence holds. */
    static final class State {
        final AtomicLong clock = new AtomicLong();
        final Region region;
        final Region foreign;
        final RegionModel model;
        final List<LiveSpan> live = new ArrayList<>();
        final List<Span> released = new ArrayList<>();
        /** A slice kept from each released span, with the model's id of the scope it was lent under. */
        final List<KeptSegment> segmentsOfReleased = new ArrayList<>();
        long nextId;

        State(long limitBytes, List<AutoCloseable> opened) {
            region = Region.builder().name("model").backgroundDecay(false).reserve(CHUNKS * CHUNK).chunkSize(CHUNK).limit(limitBytes)
                    .decay(Duration.ofNanos(DECAY_NANOS)).nanoClock(clock::get).build();
            opened.add(region);
            foreign = Region.builder().name("foreign").reserve(CHUNK).chunkSize(CHUNK).build();
            opened.add(foreign);
            model = new RegionModel(CHUNKS, CHUNK, limitBytes, DECAY_NANOS);
        }

        boolean closed() {
            return region.isClosed();
        }

        void acquire(long byteSize) {
            RegionModel.Grant grant = model.acquire(byteSize, clock.get());
            if (grant.refused()) {
                long committed = region.committedBytes();
                assertThrows(OutOfOffHeapMemoryException.class, () -> region.acquire(byteSize));
                assertTrue(region.committedBytes() <= committed, "a refused acquire commits nothing");
                return;
            }
            Span span = region.acquire(byteSize);
            assertEquals(region.baseAddress() + grant.first() * CHUNK, span.address(), "first fit");
            assertEquals(grant.count() * CHUNK, span.byteSize());
            assertEquals(grant.zeroed(), span.zeroed());
            if (span.zeroed()) {
                assertTrue(Patterns.isZero(span.segment()), "fresh chunks read zero");
            }
            for (LiveSpan other : live) {
                assertTrue(span.address() + span.byteSize() <= other.span.address()
                        || other.span.address() + other.span.byteSize() <= span.address(), "spans overlap");
            }
            long id = nextId++;
            Patterns.fill(span.segment(), id);
            live.add(new LiveSpan(span, id, grant.first(), grant.count(), grant.scope()));
            checkKeptSegments();
        }

        /**
         * A segment kept from a released span reads while the model says its run's scope is open
         * (the run is still committed: idle, or lent again) and throws once the scope closed, which
         * the model does before every decommit: no kept segment reaches uncommitted memory.
         */
        void checkKeptSegments() {
            for (KeptSegment kept : segmentsOfReleased) {
                if (!region.isClosed() && model.isOpen(kept.scope)) {
                    kept.segment.get(ValueLayout.JAVA_LONG, 0);
                } else {
                    assertThrows(IllegalStateException.class, () -> kept.segment.get(ValueLayout.JAVA_LONG, 0),
                            "a released span's segment never reaches the memory once it is decommitted");
                }
            }
        }

        void release(LiveSpan victim) {
            assertTrue(Patterns.holds(victim.span.segment(), victim.id), "content intact until release");
            MemorySegment kept = victim.span.segment().asSlice(0, 8);
            region.release(victim.span);
            model.release(victim.first, victim.count, clock.get());
            live.remove(victim);
            released.add(victim.span);
            segmentsOfReleased.add(new KeptSegment(kept, victim.scope));
            checkKeptSegments();
        }

        void releaseTwice() {
            Span span = released.get(released.size() - 1);
            assertThrows(IllegalStateException.class, () -> region.release(span));
        }

        void releaseForeign() {
            Span span = foreign.acquire(1);
            try {
                assertThrows(IllegalArgumentException.class, () -> region.release(span));
            } finally {
                foreign.release(span);
            }
        }

        void trim() {
            assertEquals(model.trim(), region.trim());
            checkKeptSegments();
        }

        void close() {
            List<MemorySegment> segments = live.stream().map(l -> l.span.segment()).toList();
            region.close();
            assertTrue(region.isClosed());
            for (MemorySegment segment : segments) {
                assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_BYTE, 0));
            }
            live.clear();
            model.closeAll();
            checkKeptSegments();
            model.trim();
            model.committed = 0;
            model.used = 0;
            region.close(); // idempotent
        }

        void misuseAfterClose() {
            assertThrows(IllegalStateException.class, () -> region.acquire(1));
            assertThrows(IllegalStateException.class, region::trim);
            for (Span span : released) {
                region.release(span); // documented no-op once closed
            }
        }

        void check() {
            assertEquals(model.committed, region.committedBytes(), "committed bytes");
            assertEquals(model.used, region.usedBytes(), "used bytes");
            assertTrue(region.committedBytes() <= region.limitBytes(), "limit honoured");
            for (LiveSpan l : live) {
                assertTrue(Patterns.holds(l.span.segment(), l.id), "content of span " + l.id + " intact");
            }
            assertFalse(region.isClosed() && !live.isEmpty());
        }

        @Override
        public String toString() {
            return "State[" + region + ", live=" + live.size() + ", clock=" + clock.get() + "]";
        }
    }

    static final class AcquireAction implements Action.Independent<State> {
        @Override
        public boolean precondition(State s) {
            return !s.closed();
        }

        @Override
        public Arbitrary<Transformer<State>> transformer() {
            Arbitrary<Long> sizes = Arbitraries.frequencyOf(
                    net.jqwik.api.Tuple.of(8, Arbitraries.longs().between(1, 5 * CHUNK)),
                    net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(CHUNKS * CHUNK - CHUNK, CHUNKS * CHUNK + 1)));
            return sizes.map(size -> Transformer.mutate("acquire(" + size + ")", s -> s.acquire(size)));
        }
    }

    static final class ReleaseAction implements Action.Dependent<State> {
        @Override
        public boolean precondition(State s) {
            return !s.closed() && !s.live.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<State>> transformer(State s) {
            return Arbitraries.integers().between(0, s.live.size() - 1).map(i -> {
                LiveSpan victim = s.live.get(i);
                return Transformer.mutate("release(span " + victim.id + ")", st -> st.release(victim));
            });
        }
    }

    static final class TickAction implements Action.Independent<State> {
        @Override
        public Arbitrary<Transformer<State>> transformer() {
            return Arbitraries.longs().between(0, 2 * DECAY_NANOS)
                    .map(n -> Transformer.mutate("tick(" + n + " ns)", s -> s.clock.addAndGet(n)));
        }
    }
}
