package dev.offheap.allocator.internal;

import dev.offheap.allocator.LeakListener;
import dev.offheap.allocator.LeakReport;
import dev.offheap.allocator.freelist.TlsfAllocator;
import dev.offheap.allocator.slab.SlabAllocator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The slab and the free list as the JDK's {@code SegmentAllocator}: blocks kept until close, freed then, not leaks. */
class SegmentAllocatorViewTest {

    /** An allocator under test: its view, its close, and one block allocated the plain way. */
    private record Subject(SegmentAllocator view, Runnable close, Runnable leakOne, Runnable again, long smallest) {
    }

    private static Subject subject(String kind, LeakListener listener) {
        return switch (kind) {
            case "slab" -> {
                SlabAllocator slab = SlabAllocator.builder().name("view-slab").reserve(1L << 30).leakListener(listener).build();
                yield new Subject(slab.asSegmentAllocator(), slab::close, () -> slab.allocate(64),
                        () -> assertSame(slab.asSegmentAllocator(), slab.asSegmentAllocator()), 1);
            }
            case "free-list" -> {
                TlsfAllocator tlsf = TlsfAllocator.builder().name("view-tlsf").reserve(1L << 30).leakListener(listener).build();
                yield new Subject(tlsf.asSegmentAllocator(), tlsf::close, () -> tlsf.allocate(64),
                        () -> assertSame(tlsf.asSegmentAllocator(), tlsf.asSegmentAllocator()), 1);
            }
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"slab", "free-list"})
    void segmentsAreBlocksBoundedToTheSizeAskedAndFreedAtCloseWithoutALeakReport(String kind) {
        List<LeakReport> reports = new CopyOnWriteArrayList<>();
        Subject s = subject(kind, reports::add);
        MemorySegment text = s.view().allocateFrom("orders");
        assertEquals("orders", text.getString(0));
        MemorySegment table = s.view().allocate(ValueLayout.JAVA_LONG, 100);
        assertEquals(800, table.byteSize(), "bounded to the size asked, not the block's");
        table.setAtIndex(ValueLayout.JAVA_LONG, 99, 7L);
        assertEquals(0, s.view().allocate(16, 16).address() % 16);
        assertThrows(IllegalArgumentException.class, () -> s.view().allocate(16, 32));
        assertThrows(IllegalArgumentException.class, () -> s.view().allocate(-1, 8));
        s.again().run();
        s.leakOne().run(); // the positive control: a block allocated the plain way is a leak
        s.close().run();
        assertEquals(1, reports.stream().mapToLong(LeakReport::blocks).sum(), "only the plain block leaked: " + reports);
        assertThrows(IllegalStateException.class, () -> table.get(ValueLayout.JAVA_LONG, 0), "dead after close");
        assertThrows(IllegalStateException.class, () -> s.view().allocate(16, 8));
    }
}
