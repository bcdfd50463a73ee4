package dev.offheap.allocator.contract;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.OffHeapException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.testing.Patterns;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract every {@link HandleAllocator} keeps, as jqwik examples and one stateful property.
 * An implementation joins with one small subclass that says how to make one:
 * {@snippet :
 * class SlabAllocatorContractTest extends HandleAllocatorContract {
 *     @Override protected HandleAllocator create() { return SlabAllocator.builder().build(); }
 * }
 * }
 * The property runs long random sequences of allocate / free / double free / stale access /
 * foreign handles / close and checks after every step: live blocks never overlap, are at least as
 * long as asked and 16-byte aligned, keep their pattern; {@code isLive} agrees with the model; every
 * misuse throws its exception and changes nothing. Subclasses may add an accounting check through
 * {@link #checkAccounting}.
 */
public abstract class HandleAllocatorContract {
    private final List<AutoCloseable> opened = new ArrayList<>();

    /** {@return a new, empty allocator; the contract closes it} */
    protected abstract HandleAllocator create();

    /** {@return the largest request the sequences make; small enough to keep tries fast} */
    protected long maxTestByteSize() {
        return 64 << 10;
    }

    /**
     * Checks the allocator's own counters against the model after every step; nothing by default.
     *
     * @param allocator the allocator under test
     * @param liveBlocks how many blocks the model holds
     * @param liveBytes the bytes the model asked for, summed over its live blocks
     */
    protected void checkAccounting(HandleAllocator allocator, int liveBlocks, long liveBytes) {
    }

    @AfterTry
    void closeAllocators() throws Exception {
        for (AutoCloseable c : opened.reversed()) {
            c.close();
        }
        opened.clear();
    }

    private HandleAllocator open() {
        HandleAllocator allocator = create();
        opened.add(allocator);
        return allocator;
    }

    @Example
    void aBlockIsUsableUntilFreedThenItsHandleIsDead() {
        HandleAllocator a = open();
        long h = a.allocate(100);
        assertNotEquals(Handles.NULL, h);
        assertTrue(a.isLive(h));
        assertTrue(a.byteSize(h) >= 100);
        MemorySegment s = a.segment(h);
        assertEquals(a.byteSize(h), s.byteSize());
        assertEquals(0, s.address() % 16, "16-byte aligned");
        s.set(ValueLayout.JAVA_LONG, 0, 42L);
        s.set(ValueLayout.JAVA_BYTE, s.byteSize() - 1, (byte) 7);
        assertThrows(IndexOutOfBoundsException.class, () -> s.set(ValueLayout.JAVA_BYTE, s.byteSize(), (byte) 7),
                "an overrun through the segment fails at the faulting access");
        assertThrows(IndexOutOfBoundsException.class, () -> s.get(ValueLayout.JAVA_BYTE, -1));
        assertEquals(42L, a.segment(h).get(ValueLayout.JAVA_LONG, 0));
        a.free(h);
        assertFalse(a.isLive(h));
        assertThrows(DoubleFreeException.class, () -> a.free(h));
        assertThrows(UseAfterFreeException.class, () -> a.segment(h));
        assertThrows(UseAfterFreeException.class, () -> a.byteSize(h));
        long again = a.allocate(100);
        assertNotEquals(h, again, "a reused location gets a new generation");
        assertFalse(a.isLive(h));
        assertThrows(DoubleFreeException.class, () -> a.free(h), "a stale handle never frees the new block");
        assertTrue(a.isLive(again));
        a.free(again);
    }

    @Example
    void badSizesAreRefusedAndTheAllocatorStillWorks() {
        HandleAllocator a = open();
        for (long bad : new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE}) {
            assertThrows(IllegalArgumentException.class, () -> a.allocate(bad), "byteSize=" + bad);
        }
        long h = a.allocate(1);
        assertTrue(a.isLive(h));
        a.free(h);
    }

    @Example
    void handlesItNeverMadeAreForeign() {
        HandleAllocator a = open();
        long live = a.allocate(64);
        for (long foreign : new long[] {Handles.NULL, -1L, Long.MIN_VALUE,
                Handles.pack(0, 1, 1, 0), Handles.pack(Handles.kind(live), Handles.tag(live) % Handles.TAG_MASK + 1, Handles.generation(live), Handles.location(live)), Handles.pack(Handles.kind(live), Handles.tag(live), 1, Handles.LOCATION_MASK)}) {
            assertFalse(a.isLive(foreign), Handles.toString(foreign));
            assertThrows(ForeignPointerException.class, () -> a.free(foreign), Handles.toString(foreign));
            assertThrows(ForeignPointerException.class, () -> a.segment(foreign), Handles.toString(foreign));
            assertThrows(ForeignPointerException.class, () -> a.byteSize(foreign), Handles.toString(foreign));
        }
        assertTrue(a.isLive(live));
        a.free(live);
    }

    @Example
    void aHandleOfAnotherInstanceNeverFreesABlockOfThisOne() {
        HandleAllocator a = open();
        HandleAllocator b = open();
        long mine = a.allocate(64);
        long theirs = b.allocate(64);
        b.free(theirs);
        long theirsLive = b.allocate(64);
        if (theirsLive != mine) {
            // The bits differ from every live handle of a: a must refuse it and keep its block.
            assertFalse(a.isLive(theirsLive));
            RuntimeException e = assertThrows(RuntimeException.class, () -> a.free(theirsLive));
            assertTrue(e instanceof ForeignPointerException || e instanceof DoubleFreeException, e.toString());
        }
        assertTrue(a.isLive(mine));
        a.free(mine);
    }

    @Example
    void aClosedAllocatorRefusesWorkAndItsSegmentsThrow() {
        HandleAllocator a = open();
        long h = a.allocate(256);
        MemorySegment kept = a.segment(h);
        kept.fill((byte) 1);
        a.close();
        assertThrows(IllegalStateException.class, () -> a.allocate(16));
        assertThrows(IllegalStateException.class, () -> a.free(h));
        RuntimeException e = assertThrows(RuntimeException.class, () -> a.segment(h));
        assertTrue(e instanceof IllegalStateException || e instanceof UseAfterFreeException, e.toString());
        assertFalse(a.isLive(h));
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0),
                "a segment never reaches memory given back");
        a.close(); // idempotent
    }

    @Property(tries = 100)
    void everyStepKeepsTheContract(@ForAll("chains") ActionChain<Model> chain) {
        Model end = chain.withInvariant("contract", m -> m.check(this)).run();
        for (Model.Block b : List.copyOf(end.live)) {
            end.free(b);
        }
        checkAccounting(end.allocator, 0, 0);
        end.allocator.close();
    }

    @Provide
    Arbitrary<ActionChain<Model>> chains() {
        long max = maxTestByteSize();
        return ActionChain.<Model>startWith(() -> new Model(open()))
                .withAction(6, (Action.Independent<Model>) () -> Arbitraries.frequencyOf(
                                net.jqwik.api.Tuple.of(4, Arbitraries.longs().between(1, 256)),
                                net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(257, max)))
                        .map(n -> Transformer.mutate("allocate(" + n + ")", m -> m.allocate(n))))
                .withAction(4, new Action.Dependent<Model>() {
                    @Override
                    public boolean precondition(Model m) {
                        return !m.live.isEmpty();
                    }

                    @Override
                    public Arbitrary<Transformer<Model>> transformer(Model m) {
                        return Arbitraries.integers().between(0, m.live.size() - 1).map(i -> {
                            Model.Block b = m.live.get(i);
                            return Transformer.mutate("free(block " + b.id() + ")", st -> st.free(b));
                        });
                    }
                })
                .withAction(1, Action.<Model>when(m -> !m.dead.isEmpty()).describeAs("misuse a stale handle")
                        .justMutate(Model::misuseStale))
                .withAction(1, Action.<Model>just("misuse a foreign handle", Transformer.mutate("foreign", Model::misuseForeign)))
                .withMaxTransformations(80);
    }

    /** What the sequence holds: live blocks with their pattern ids, and handles freed already. */
    static final class Model {
        record Block(long handle, long id, long asked) {
        }

        final HandleAllocator allocator;
        final List<Block> live = new ArrayList<>();
        final List<Long> dead = new ArrayList<>();
        long nextId;

        Model(HandleAllocator allocator) {
            this.allocator = allocator;
        }

        void allocate(long n) {
            long h = allocator.allocate(n);
            assertTrue(allocator.isLive(h));
            MemorySegment s = allocator.segment(h);
            assertTrue(s.byteSize() >= n && s.byteSize() == allocator.byteSize(h));
            assertEquals(0, s.address() % 16, "16-byte aligned");
            for (Block b : live) {
                assertNotEquals(b.handle, h, "a live handle handed out twice");
                MemorySegment o = allocator.segment(b.handle);
                assertTrue(s.address() + s.byteSize() <= o.address() || o.address() + o.byteSize() <= s.address(),
                        "blocks overlap");
            }
            long id = nextId++;
            Patterns.fill(s, id);
            live.add(new Block(h, id, n));
        }

        void free(Block b) {
            assertTrue(Patterns.holds(allocator.segment(b.handle), b.id), "content intact until free");
            allocator.free(b.handle);
            live.remove(b);
            dead.add(b.handle);
            assertFalse(allocator.isLive(b.handle));
        }

        void misuseStale() {
            long h = dead.get(dead.size() - 1);
            assertFalse(allocator.isLive(h));
            assertThrows(DoubleFreeException.class, () -> allocator.free(h));
            assertThrows(UseAfterFreeException.class, () -> allocator.segment(h));
            assertThrows(UseAfterFreeException.class, () -> allocator.byteSize(h));
        }

        void misuseForeign() {
            long h = Handles.pack(0, 1, 1, Handles.LOCATION_MASK);
            assertFalse(allocator.isLive(h));
            OffHeapException e = assertThrows(OffHeapException.class, () -> allocator.free(h));
            assertInstanceOf(ForeignPointerException.class, e);
        }

        void check(HandleAllocatorContract contract) {
            long bytes = 0;
            for (Block b : live) {
                assertTrue(allocator.isLive(b.handle));
                assertTrue(Patterns.holds(allocator.segment(b.handle), b.id), "block " + b.id + " intact");
                bytes += b.asked;
            }
            contract.checkAccounting(allocator, live.size(), bytes);
        }

        @Override
        public String toString() {
            return "Model[" + allocator.name() + ", live=" + live.size() + ", dead=" + dead.size() + "]";
        }
    }
}
