package dev.offheap.allocator.contract;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.UseAfterFreeException;
import dev.offheap.allocator.budget.BudgetedAllocator;
import dev.offheap.allocator.facade.OffHeap;
import net.jqwik.api.Example;
import net.jqwik.api.lifecycle.AfterTry;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link HandleAllocatorContract} on a child allocator ({@link BudgetedAllocator}) of an
 * {@code OffHeap}, with a budget the sequences never reach. Two documented differences: its leaked
 * blocks stay with the parent at close (their segments stay valid over memory no one else gets),
 * and a freed handle of the parent's shape is reported as freed, not foreign.
 */
class BudgetedContractTest extends HandleAllocatorContract {
    private final List<OffHeap> parents = new ArrayList<>();

    @Override
    protected HandleAllocator create() {
        OffHeap parent = OffHeap.builder().name("contract-parent").reserve(1L << 30).build();
        parents.add(parent);
        return parent.newChild("contract-child", 1L << 30);
    }

    @AfterTry
    void closeParents() {
        parents.forEach(OffHeap::close);
        parents.clear();
    }

    @Override
    protected long maxTestByteSize() {
        return 2L << 20;
    }

    @Override
    protected boolean segmentsDieAtClose() {
        return false;
    }

    @Override
    @Example
    void aClosedAllocatorRefusesWorkAndItsSegmentsThrow() {
        HandleAllocator a = create();
        long h = a.allocate(256);
        a.segment(h).fill((byte) 1);
        a.close();
        assertThrows(IllegalStateException.class, () -> a.allocate(16));
        assertThrows(IllegalStateException.class, () -> a.free(h));
        assertThrows(IllegalStateException.class, () -> a.segment(h));
        assertFalse(a.isLive(h));
        assertTrue(parents.getLast().isLive(h), "the leaked block stays with the parent, so no segment aliases");
        a.close();
    }

    @Override
    @Example
    void handlesItNeverMadeAreForeign() {
        HandleAllocator a = create();
        long live = a.allocate(64);
        long parentsOwn = parents.getLast().allocate(64);
        for (long foreign : new long[] {Handles.NULL, -1L, Long.MIN_VALUE, Handles.pack(0, 1, 1, 0), parentsOwn,
                Handles.pack(Handles.kind(live), Handles.tag(live) % Handles.TAG_MASK + 1, Handles.generation(live),
                        Handles.location(live))}) {
            assertFalse(a.isLive(foreign), Handles.toString(foreign));
            assertThrows(ForeignPointerException.class, () -> a.free(foreign), Handles.toString(foreign));
            assertThrows(ForeignPointerException.class, () -> a.segment(foreign), Handles.toString(foreign));
            assertThrows(ForeignPointerException.class, () -> a.byteSize(foreign), Handles.toString(foreign));
        }
        long sameShape = Handles.pack(Handles.kind(live), Handles.tag(live), 1, Handles.LOCATION_MASK);
        assertThrows(DoubleFreeException.class, () -> a.free(sameShape), "the child keeps no record of freed handles");
        assertThrows(UseAfterFreeException.class, () -> a.segment(sameShape));
        assertTrue(a.isLive(live));
        a.free(live);
        parents.getLast().free(parentsOwn);
        a.close();
    }
}
