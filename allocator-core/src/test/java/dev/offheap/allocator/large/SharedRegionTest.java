package dev.offheap.allocator.large;

import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.HandleAllocator;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.freelist.TlsfAllocator;
import dev.offheap.allocator.region.Region;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The free list and the large-block allocator over one region, routed by size as a façade would. */
class SharedRegionTest {
    private static final long MiB = 1L << 20;

    @Test
    void routedBySizeTheyShareOneRegionWithoutOverlapAndGiveEverythingBack() {
        try (Region region = Region.builder().reserve(1L << 30).decay(Duration.ofHours(1)).build();
             TlsfAllocator small = TlsfAllocator.builder().region(region).build();
             LargeBlockAllocator large = LargeBlockAllocator.builder().region(region).build()) {
            SplittableRandom random = new SplittableRandom(9);
            Map<Long, Byte> model = new HashMap<>();
            List<Long> handles = new ArrayList<>();
            for (int op = 0; op < 3_000; op++) {
                if (handles.isEmpty() || random.nextInt(5) < 3) {
                    long size = random.nextInt(50) == 0 ? small.maxBlockBytes() + random.nextLong(6 * MiB)
                            : 1 + random.nextLong(64 * 1024);
                    HandleAllocator to = size <= small.maxBlockBytes() ? small : large;
                    long h = to.allocate(size);
                    byte pattern = (byte) random.nextInt(1, 256);
                    to.segment(h).fill(pattern);
                    model.put(h, pattern);
                    handles.add(h);
                } else {
                    long h = handles.remove(random.nextInt(handles.size()));
                    HandleAllocator from = route(h, small, large);
                    MemorySegment s = from.segment(h);
                    byte pattern = model.remove(h);
                    assertEquals(pattern, s.get(ValueLayout.JAVA_BYTE, 0));
                    assertEquals(pattern, s.get(ValueLayout.JAVA_BYTE, s.byteSize() - 1));
                    from.free(h);
                }
            }
            TreeMap<Long, Long> byAddress = new TreeMap<>();
            for (long h : handles) {
                MemorySegment s = route(h, small, large).segment(h);
                assertEquals(model.get(h), s.get(ValueLayout.JAVA_BYTE, s.byteSize() / 2));
                byAddress.put(s.address(), s.address() + s.byteSize());
                // The kind routes; each allocator refuses the other's handles.
                HandleAllocator other = route(h, small, large) == small ? large : small;
                assertThrows(ForeignPointerException.class, () -> other.segment(h));
            }
            long end = 0;
            for (var e : byAddress.entrySet()) {
                assertTrue(e.getKey() >= end, "blocks of the two allocators overlap");
                end = e.getValue();
            }
            for (long h : handles) {
                route(h, small, large).free(h);
            }
            small.trim();
            assertEquals(0, region.usedBytes());
            assertEquals(0, region.committedBytes());
        }
    }

    private static HandleAllocator route(long handle, HandleAllocator small, HandleAllocator large) {
        return Handles.kind(handle) == Handles.KIND_FREE_LIST ? small : large;
    }
}
