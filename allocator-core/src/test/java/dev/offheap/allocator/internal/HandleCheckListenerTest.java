package dev.offheap.allocator.internal;

import dev.offheap.allocator.DoubleFreeException;
import dev.offheap.allocator.ForeignPointerException;
import dev.offheap.allocator.Handles;
import dev.offheap.allocator.OffHeapException;
import dev.offheap.allocator.UseAfterFreeException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The optional misuse listener of {@link HandleCheck}: hears each misuse once, cannot break it. */
class HandleCheckListenerTest {
    private static final long HANDLE = Handles.pack(Handles.KIND_SLAB, 3, 2, 0x40);

    @Test
    void theListenerHearsEveryMisuseOnceWithTheExceptionTheCallerGets() {
        List<String> allocators = new ArrayList<>();
        List<OffHeapException> heard = new ArrayList<>();
        HandleCheck check = new HandleCheck("checked", (allocator, misuse) -> {
            allocators.add(allocator);
            heard.add(misuse);
        });
        RuntimeException doubleFree = check.reject(HANDLE, 3, false, true, 64, null);
        RuntimeException stale = check.reject(HANDLE, 3, false, false, 64, null);
        RuntimeException interior = check.reject(HANDLE, 3, true, false, 64, null);
        RuntimeException foreign = check.foreign(HANDLE, "not a slab handle");
        RuntimeException freed = check.rejectFreed(HANDLE, true, 0);
        assertEquals(List.of(doubleFree, stale, interior, foreign, freed), heard);
        assertEquals(List.of("checked", "checked", "checked", "checked", "checked"), allocators);
        assertInstanceOf(DoubleFreeException.class, doubleFree);
        assertInstanceOf(UseAfterFreeException.class, stale);
        assertInstanceOf(ForeignPointerException.class, interior);
        assertInstanceOf(DoubleFreeException.class, freed);
        assertEquals(2, check.doubleFrees());
        assertEquals(1, check.useAfterFrees());
        assertEquals(2, check.foreignHandles());
    }

    @Test
    void aThrowingListenerChangesNothingForTheCaller() {
        HandleCheck check = new HandleCheck("robust", (allocator, misuse) -> {
            throw new IllegalStateException("listener bug");
        });
        RuntimeException e = check.reject(HANDLE, 3, false, true, 64, null);
        assertInstanceOf(DoubleFreeException.class, e);
        assertTrue(e.getMessage().startsWith("double free: block already freed: handle="), e.getMessage());
        assertEquals(1, check.doubleFrees());
    }
}
