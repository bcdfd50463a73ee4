package dev.offheap.allocator.slab;

import dev.offheap.allocator.testing.ForkedJvm;
import dev.offheap.allocator.testing.ResidentMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The one mapping of every slab's slot tables: each body runs in a forked JVM (it touches native
 * memory through the constant segment), so a fault fails one test with the child's exit code.
 */
@Timeout(120)
class SlotTableMemoryTest {

    static void require(boolean condition, Supplier<String> message) {
        if (!condition) {
            throw new AssertionError(message.get());
        }
    }

    /** The mapping's first and last words are readable and writable: nothing in it can fault. */
    public static final class EveryByteMapped {
        public static void main(String[] args) {
            MemorySegment all = SlotTableMemory.ALL;
            require(all.byteSize() >= 128L << 20, () -> "mapping of " + all.byteSize() + " bytes");
            long last = all.byteSize() - 8;
            require(all.get(ValueLayout.JAVA_LONG, last) == 0, () -> "an untouched page reads zero");
            all.set(ValueLayout.JAVA_LONG, last, 0x1234L);
            require(all.get(ValueLayout.JAVA_LONG, last) == 0x1234L, () -> "the last word keeps a write");
            all.set(ValueLayout.JAVA_LONG, last, 0L);
            System.out.println("ok");
        }
    }

    /**
     * A closed lease's spans go back to the OS (resident before, not after; they read zero) and to
     * the quarantine, and the next lease takes a span never used instead.
     */
    public static final class CloseGivesBackAndQuarantines {
        public static void main(String[] args) {
            long freshBefore = SlotTableMemory.freshSpans();
            SlotTableMemory.Lease first = new SlotTableMemory.Lease();
            MemorySegment table = first.allocate(SlotTableMemory.SPAN_BYTES);
            long span = table.byteSize();
            // Mappings are counted whole (the kernel may merge neighbours): compare differences.
            long untouched = ResidentMemory.ofRange(table.address(), span);
            table.fill((byte) 7);
            require(SlotTableMemory.freshSpans() == freshBefore - 1, () -> "the lease took one span");
            long written = ResidentMemory.ofRange(table.address(), span);
            require(written - untouched >= span, () -> "written span resident: " + untouched + " -> " + written);

            first.close();
            long after = ResidentMemory.ofRange(table.address(), span);
            // The merged neighbours may fault in a page meanwhile; without the advice nothing drops.
            require(written - after >= span * 9 / 10, () -> "closed span still resident: " + written + " -> " + after);
            require(table.get(ValueLayout.JAVA_BYTE, 12345) == 0, () -> "a closed span reads zero");
            require(SlotTableMemory.quarantinedSpans() == 1, () -> "quarantined " + SlotTableMemory.quarantinedSpans());

            SlotTableMemory.Lease second = new SlotTableMemory.Lease();
            MemorySegment next = second.allocate(64);
            require(next.address() != table.address(), () -> "a quarantined span was lent again while fresh ones remain");
            require(SlotTableMemory.quarantinedSpans() == 1, () -> "the quarantine kept its span");
            second.close();
            System.out.println("ok");
        }
    }

    /**
     * A slab's page still reads its table after the slab closed (a call racing close finds mapped
     * memory, never a fault): LIVE before the close, zero after it.
     */
    public static final class PageReadableAfterClose {
        public static void main(String[] args) {
            SlabAllocator slab = SlabAllocator.builder().name("closing").reserve(1L << 30).build();
            long handle = slab.allocate(64);
            Page page = slab.pageForTest(handle);
            int slot = SegmentDescriptor.slot(dev.offheap.allocator.Handles.location(handle));
            require(page.lvState(slot) == SlotState.liveOf(handle), () -> "control: the word is LIVE while open");
            long freed = slab.allocate(64);
            slab.free(freed);
            RuntimeException open = slab.rejectForTest(freed);
            require(open instanceof dev.offheap.allocator.DoubleFreeException
                    || open instanceof dev.offheap.allocator.UseAfterFreeException, () -> "control, open: " + open);
            slab.close();
            require(page.lvState(slot) == 0, () -> "after close: " + page.lvState(slot));
            page.soState(slot, 1); // what a racing free's store would do: lands in quarantined memory
            // A call that raced the close and found the zeroed word is told the allocator closed,
            // not that its handle is foreign.
            RuntimeException closed = slab.rejectForTest(handle);
            require(closed instanceof IllegalStateException && closed.getMessage().contains("allocator is closed"),
                    () -> "after close: " + closed);
            System.out.println("ok");
        }
    }

    @Test
    void everyByteOfTheMappingIsReadableAndWritable() {
        ForkedJvm.Result r = ForkedJvm.run(EveryByteMapped.class);
        assertEquals(0, r.exitCode(), r::describe);
    }

    @Test
    void closeGivesSpansBackAndQuarantinesThem() {
        ForkedJvm.Result r = ForkedJvm.run(CloseGivesBackAndQuarantines.class);
        assertEquals(0, r.exitCode(), r::describe);
    }

    @Test
    void aPageStillReadsMappedMemoryAfterItsSlabClosed() {
        ForkedJvm.Result r = ForkedJvm.run(PageReadableAfterClose.class);
        assertEquals(0, r.exitCode(), r::describe);
    }
}
