package dev.offheap.allocator.contract;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.OffHeapException;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.metrics.AllocatorSnapshot;
import dev.offheap.allocator.metrics.MeteredAllocator;
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
import net.jqwik.api.state.ActionChainArbitrary;
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
 * The property runs long random sequences of allocate / free / resize / double free / stale access /
 * foreign handles / close and checks after every step: live blocks never overlap, are at least as
 * long as asked and 16-byte aligned, come zeroed and keep their pattern; a resize keeps the bytes
 * both sizes share; {@code isLive} agrees with the model; every misuse throws its exception and
 * changes nothing; the allocator's snapshot ({@link #checkAccounting}) agrees with the model's live
 * blocks, usable bytes and counts; after close every call throws {@link IllegalStateException},
 * every segment taken before it throws, and the snapshot shows nothing live and each leak once.
 */
public abstract class HandleAllocatorContract {
    private final List<AutoCloseable> opened = new ArrayList<>();
    /** Models of the current try: jqwik keeps generated chains for its report, so each drops its allocator after the try. */
    private final List<Model> models = new ArrayList<>();

    /** {@return a new, empty allocator; the contract closes it} */
    protected abstract HandleAllocator create();

    /** {@return the largest request the sequences make; small enough to keep tries fast} */
    protected long maxTestByteSize() {
        return 64 << 10;
    }

    /** {@return whether blocks are handed out zeroed (the default of every allocator here)} */
    protected boolean zeroesOnHandOut() {
        return true;
    }

    /**
     * {@return whether the snapshot's used bytes are exactly the live blocks' usable bytes} False
     * in checked mode, where a block's class also holds its canary: used bytes are then at least
     * the usable bytes.
     */
    protected boolean usedBytesAreUsableBytes() {
        return true;
    }

    /** {@return whether {@link #resize} is supported; false by default} */
    protected boolean supportsResize() {
        return false;
    }

    /**
     * Resizes a block as {@code realloc} does; only called when {@link #supportsResize()}.
     *
     * @param allocator the allocator under test
     * @param handle a live handle
     * @param newByteSize the bytes wanted now
     * @return the block's handle now ({@code handle} is dead if it differs)
     */
    protected long resize(HandleAllocator allocator, long handle, long newByteSize) {
        throw new UnsupportedOperationException("resize");
    }

    /**
     * {@return whether a segment taken before a block's free (or before a resize moved it) throws
     * after it} True in checked mode; false by default, where such a segment may alias the next
     * block (the documented unchecked-mode kept-segment case).
     */
    protected boolean segmentsDieAtFree() {
        return false;
    }

    /**
     * {@return whether a segment taken before close throws after it} True for every allocator that
     * gives its memory back at close; a child allocator keeps its leaked blocks with its parent.
     */
    protected boolean segmentsDieAtClose() {
        return true;
    }

    /**
     * {@return whether a stale {@code handle} may be refused as foreign rather than as a double free
     * or use after free} Only a free-list handle, whoever hands it out: the free-list range keeps one
     * generation per 4 KiB cell, not per granule, so a stale handle whose location now lies inside a
     * live block that starts in another cell cannot be told from a forged interior handle, and is
     * refused as foreign (refused either way; the live block is untouched). Every other kind names
     * every stale handle.
     */
    protected boolean staleMayLookForeign(long handle) {
        return Handles.kind(handle) == Handles.KIND_FREE_LIST;
    }

    /**
     * Checks the allocator's own figures against the model after every step. By default, for a
     * {@link MeteredAllocator}: live blocks, used bytes (the blocks' usable bytes), allocations,
     * frees, double frees and uses after free equal the model's.
     *
     * @param allocator the allocator under test
     * @param model what the sequence did so far
     */
    protected void checkAccounting(HandleAllocator allocator, Model model) {
        if (!(allocator instanceof MeteredAllocator metered)) {
            return;
        }
        AllocatorSnapshot s = metered.snapshot();
        String where = "snapshot=" + s + ", model=" + model;
        assertEquals(model.live.size(), s.liveBlocks(), "live blocks: " + where);
        if (usedBytesAreUsableBytes()) {
            assertEquals(model.usableBytes(), s.usedBytes(), "used bytes: " + where);
        } else {
            assertTrue(s.usedBytes() >= model.usableBytes(), "used bytes: " + where);
        }
        assertEquals(model.allocations, s.allocations(), "allocations: " + where);
        assertEquals(model.frees, s.frees(), "frees: " + where);
        assertEquals(model.doubleFrees, s.doubleFrees(), "double frees: " + where);
        assertEquals(model.staleUses, s.useAfterFrees(), "uses after free: " + where);
    }

    /**
     * Checks the leak count after close: each block still live at close counted once. By default,
     * for a {@link MeteredAllocator}. (That the memory figures read 0 after close is
     * {@link #theSnapshotAfterCloseShowsNothingLiveAndEachLeakOnce()}.)
     *
     * @param allocator the closed allocator
     * @param leaked how many blocks were live at close
     */
    protected void checkAccountingAfterClose(HandleAllocator allocator, int leaked) {
        if (!(allocator instanceof MeteredAllocator metered)) {
            return;
        }
        AllocatorSnapshot s = metered.snapshot();
        assertEquals(leaked, s.leaks(), "each block live at close is one leak: " + s);
    }

    @Example
    void theSnapshotAfterCloseShowsNothingLiveAndEachLeakOnce() {
        HandleAllocator a = open();
        if (!(a instanceof MeteredAllocator metered)) {
            return;
        }
        a.allocate(100);
        a.allocate(1000);
        a.free(a.allocate(200));
        a.close();
        AllocatorSnapshot s = metered.snapshot();
        assertEquals(0, s.liveBlocks(), "live blocks after close: " + s);
        assertEquals(0, s.usedBytes(), "used bytes after close: " + s);
        assertEquals(0, s.committedBytes(), "committed bytes after close: " + s);
        assertEquals(2, s.leaks(), "each block live at close is one leak: " + s);
        assertEquals(3, s.allocations(), "counters keep their final values: " + s);
    }

    @AfterTry
    void closeAllocators() throws Exception {
        for (AutoCloseable c : opened.reversed()) {
            c.close();
        }
        opened.clear();
        models.forEach(Model::forget);
        models.clear();
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

    @Example
    void aSegmentTakenBeforeAShrinkInPlaceNeverReachesTheNextBlocks() {
        if (!supportsResize()) {
            return;
        }
        HandleAllocator a = open();
        long big = a.allocate(128 << 10);
        MemorySegment before = a.segment(big);
        long small = resize(a, big, 48 << 10);
        if (small != big) {
            a.free(small);
            return; // moved: the old segment is one kept after free, the documented unchecked case
        }
        List<Long> next = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            long h = a.allocate(40 << 10);
            Patterns.fill(a.segment(h), 5);
            next.add(h);
        }
        try {
            before.fill((byte) 0x55); // throws if the old segment died; must not reach the new blocks if not
        } catch (IllegalStateException | IndexOutOfBoundsException refused) {
            // the old segment was invalidated: the safe answer
        }
        for (long h : next) {
            assertTrue(Patterns.holds(a.segment(h), 5), "a segment taken before resize reached another block");
            a.free(h);
        }
        a.free(small);
    }

    @Property(tries = 100)
    void everyStepKeepsTheContract(@ForAll("chains") ActionChain<Model> chain) {
        Model end = chain.withInvariant("contract", m -> m.check(this)).run();
        if (end.closed) {
            return;
        }
        for (Model.Block b : List.copyOf(end.live)) {
            end.free(b);
        }
        checkAccounting(end.allocator, end);
        end.allocator.close();
        checkAccountingAfterClose(end.allocator, 0);
    }

    @Provide
    Arbitrary<ActionChain<Model>> chains() {
        long max = maxTestByteSize();
        boolean resizes = supportsResize();
        ActionChainArbitrary<Model> chain = ActionChain.<Model>startWith(() -> {
                    Model m = new Model(open(), this);
                    models.add(m);
                    return m;
                })
                .withAction(6, new Action.Dependent<Model>() {
                    @Override
                    public boolean precondition(Model m) {
                        return !m.closed;
                    }

                    @Override
                    public Arbitrary<Transformer<Model>> transformer(Model m) {
                        return sizes(max).map(n -> Transformer.mutate("allocate(" + n + ")", st -> st.allocate(n)));
                    }
                });
        if (resizes) {
            chain = chain.withAction(2, new Action.Dependent<Model>() {
                    @Override
                    public boolean precondition(Model m) {
                        return resizes && !m.closed && !m.live.isEmpty();
                    }

                    @Override
                    public Arbitrary<Transformer<Model>> transformer(Model m) {
                        // The block is looked up in the state the step runs on: jqwik re-runs these
                        // mappings while shrinking, after m has moved on or on another model.
                        int size = m.live.size();
                        return Arbitraries.integers().between(0, size - 1).flatMap(i -> sizes(max).map(n ->
                                Transformer.mutate("resize(live block " + i + " of " + size + ", " + n + ")",
                                        st -> st.resize(st.pick(i), n))));
                    }
                });
        }
        return chain
                .withAction(4, new Action.Dependent<Model>() {
                    @Override
                    public boolean precondition(Model m) {
                        return !m.closed && !m.live.isEmpty();
                    }

                    @Override
                    public Arbitrary<Transformer<Model>> transformer(Model m) {
                        int size = m.live.size(); // see resize
                        return Arbitraries.integers().between(0, size - 1).map(i ->
                                Transformer.mutate("free(live block " + i + " of " + size + ")", st -> st.free(st.pick(i))));
                    }
                })
                .withAction(1, Action.<Model>when(m -> !m.closed && !m.dead.isEmpty()).describeAs("misuse a stale handle")
                        .justMutate(Model::misuseStale))
                .withAction(1, Action.<Model>when(m -> !m.closed).describeAs("misuse a foreign handle")
                        .justMutate(Model::misuseForeign))
                .withAction(1, Action.<Model>when(m -> !m.closed && m.steps > 20).describeAs("close")
                        .justMutate(Model::close))
                .withAction(1, new Action.Dependent<Model>() {
                    @Override
                    public boolean precondition(Model m) {
                        return m.closed;
                    }

                    @Override
                    public Arbitrary<Transformer<Model>> transformer(Model m) {
                        return Arbitraries.just(Transformer.endOfChain());
                    }
                })
                .withMaxTransformations(80);
    }

    private static Arbitrary<Long> sizes(long max) {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.longs().between(1, 256)),
                net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(257, max)));
    }

    /** What the sequence holds: live blocks with their pattern ids, handles freed already, counts. */
    protected static final class Model {
        record Block(long handle, long id, long asked, long usable) {
        }

        HandleAllocator allocator;
        private final HandleAllocatorContract contract;
        final List<Block> live = new ArrayList<>();
        final List<Long> dead = new ArrayList<>();
        long nextId;
        long allocations;
        long frees;
        long doubleFrees;
        long staleUses;
        int steps;
        boolean closed;

        Model(HandleAllocator allocator, HandleAllocatorContract contract) {
            this.allocator = allocator;
            this.contract = contract;
        }

        /** Drops the (closed) allocator and the blocks, so a model jqwik keeps holds no heap of theirs. */
        void forget() {
            allocator = null;
            live.clear();
            dead.clear();
        }

        /** {@return the usable bytes of the live blocks, summed} */
        long usableBytes() {
            return live.stream().mapToLong(Block::usable).sum();
        }

        void allocate(long n) {
            long h = allocator.allocate(n);
            allocations++;
            assertTrue(allocator.isLive(h));
            MemorySegment s = allocator.segment(h);
            assertTrue(s.byteSize() >= n && s.byteSize() == allocator.byteSize(h));
            assertEquals(0, s.address() % 16, "16-byte aligned");
            if (contract.zeroesOnHandOut()) {
                assertTrue(Patterns.isZero(s), "a block is handed out zeroed, even where a freed one was");
            }
            for (Block b : live) {
                assertNotEquals(b.handle, h, "a live handle handed out twice");
                MemorySegment o = allocator.segment(b.handle);
                assertTrue(s.address() + s.byteSize() <= o.address() || o.address() + o.byteSize() <= s.address(),
                        "blocks overlap");
            }
            long id = nextId++;
            Patterns.fill(s, id);
            live.add(new Block(h, id, n, s.byteSize()));
            steps++;
        }

        /** {@return the live block at {@code index}, or the last one when fewer are live now} */
        Block pick(int index) {
            return live.get(Math.min(index, live.size() - 1));
        }

        void free(Block b) {
            MemorySegment kept = allocator.segment(b.handle);
            assertTrue(Patterns.holds(kept, b.id), "content intact until free");
            allocator.free(b.handle);
            if (contract.segmentsDieAtFree()) {
                assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_BYTE, 0),
                        "a segment kept after free throws");
            }
            frees++;
            live.remove(b);
            dead.add(b.handle);
            assertFalse(allocator.isLive(b.handle));
            steps++;
        }

        void resize(Block b, long n) {
            MemorySegment old = allocator.segment(b.handle);
            long shared = Math.min(old.byteSize(), n);
            long h = contract.resize(allocator, b.handle, n);
            MemorySegment s = allocator.segment(h);
            assertTrue(s.byteSize() >= n && s.byteSize() == allocator.byteSize(h), "resized to at least " + n);
            assertEquals(0, s.address() % 16, "16-byte aligned");
            assertTrue(Patterns.holds(s.asSlice(0, shared), b.id), "a resize keeps the bytes both sizes share");
            long id = nextId++;
            Patterns.fill(s, id);
            live.remove(b);
            if (h != b.handle) {
                dead.add(b.handle);
                assertFalse(allocator.isLive(b.handle), "the old handle is dead once the block moved");
                if (contract.segmentsDieAtFree()) {
                    assertThrows(IllegalStateException.class, () -> old.get(ValueLayout.JAVA_BYTE, 0),
                            "a segment of the block before it moved throws");
                }
                allocations++;
                frees++;
            }
            live.add(new Block(h, id, n, s.byteSize()));
            steps++;
        }

        void misuseStale() {
            long h = dead.get(dead.size() - 1);
            assertFalse(allocator.isLive(h));
            OffHeapException refused = assertThrows(OffHeapException.class, () -> allocator.free(h));
            steps++;
            if (refused instanceof ForeignPointerException && contract.staleMayLookForeign(h)) {
                assertThrows(ForeignPointerException.class, () -> allocator.segment(h));
                assertThrows(ForeignPointerException.class, () -> allocator.byteSize(h));
                return; // the live blocks are checked intact after this step
            }
            assertInstanceOf(DoubleFreeException.class, refused, () -> "a stale handle: " + Handles.toString(h));
            assertThrows(UseAfterFreeException.class, () -> allocator.segment(h));
            assertThrows(UseAfterFreeException.class, () -> allocator.byteSize(h));
            doubleFrees++;
            staleUses += 2;
        }

        void close() {
            List<MemorySegment> kept = live.stream().map(b -> allocator.segment(b.handle)).toList();
            allocator.close();
            closed = true;
            assertThrows(IllegalStateException.class, () -> allocator.allocate(16));
            for (Block b : live) {
                assertFalse(allocator.isLive(b.handle));
                assertThrows(IllegalStateException.class, () -> allocator.free(b.handle));
            }
            if (contract.segmentsDieAtClose()) {
                for (MemorySegment s : kept) {
                    assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0),
                            "a segment never reaches memory given back at close");
                }
            }
            contract.checkAccountingAfterClose(allocator, live.size());
            allocator.close(); // idempotent
        }

        void misuseForeign() {
            long h = Handles.pack(0, 1, 1, Handles.LOCATION_MASK);
            assertFalse(allocator.isLive(h));
            OffHeapException e = assertThrows(OffHeapException.class, () -> allocator.free(h));
            assertInstanceOf(ForeignPointerException.class, e);
            steps++;
        }

        void check(HandleAllocatorContract contract) {
            if (closed) {
                return;
            }
            for (Block b : live) {
                assertTrue(allocator.isLive(b.handle));
                assertTrue(Patterns.holds(allocator.segment(b.handle), b.id), "block " + b.id + " intact");
            }
            contract.checkAccounting(allocator, this);
        }

        @Override
        public String toString() {
            return "Model[" + (allocator == null ? "done" : allocator.name()) + ", live=" + live.size() + ", dead=" + dead.size() + ", usable="
                    + usableBytes() + ", allocations=" + allocations + ", frees=" + frees + ", doubleFrees="
                    + doubleFrees + ", staleUses=" + staleUses + (closed ? ", closed" : "") + "]";
        }
    }
}
