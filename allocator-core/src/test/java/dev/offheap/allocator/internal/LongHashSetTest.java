package dev.offheap.allocator.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LongHashSetTest {
    @Test
    void behavesAsAHashSetOverRandomOperations() {
        SplittableRandom random = new SplittableRandom(5);
        LongHashSet set = new LongHashSet();
        Set<Long> model = new HashSet<>();
        for (int i = 0; i < 200_000; i++) {
            long v = 1 + random.nextLong(5_000) * 1_048_576L; // clustered low bits, as handles are
            switch (random.nextInt(3)) {
                case 0 -> assertEquals(model.add(v), set.add(v));
                case 1 -> assertEquals(model.remove(v), set.remove(v));
                default -> assertEquals(model.contains(v), set.contains(v));
            }
            assertEquals(model.size(), set.size());
        }
        List<Long> seen = new ArrayList<>();
        set.forEach(seen::add);
        assertEquals(model, new HashSet<>(seen));
        assertEquals(model.size(), seen.size());
    }
}
