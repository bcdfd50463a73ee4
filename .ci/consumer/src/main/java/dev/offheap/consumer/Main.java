package dev.offheap.consumer;

import dev.offheap.allocator.facade.OffHeap;
import dev.offheap.allocator.ownership.MemoryBlock;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What a user's first program does: an OffHeap, a handle, an object handle, an Arena. Prints one
 * line the check script compares, with the module the library was loaded from (null on the class
 * path, dev.offheap.allocator on the module path).
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        long sum = 0;
        String text;
        long live;
        try (OffHeap memory = OffHeap.builder().name("consumer").reserve(1L << 30).build()) {
            long handle = memory.allocate(8 * 100);
            MemorySegment values = memory.segment(handle);
            for (int i = 0; i < 100; i++) {
                values.setAtIndex(ValueLayout.JAVA_LONG, i, i);
            }
            for (int i = 0; i < 100; i++) {
                sum += values.getAtIndex(ValueLayout.JAVA_LONG, i);
            }
            memory.free(handle);
            try (MemoryBlock block = memory.allocateBlock(4096)) {
                block.segment().set(ValueLayout.JAVA_INT, 0, 7);
                sum += block.segment().get(ValueLayout.JAVA_INT, 0);
            }
            try (Arena arena = memory.newArena()) {
                text = arena.allocateFrom("hello from an OffHeap arena").getString(0);
            }
            live = memory.snapshot().liveBlocks();
        }
        System.out.println("consumer ok: sum=" + sum + ", text=" + text + ", live=" + live
                + ", module=" + OffHeap.class.getModule().getName());
    }
}
