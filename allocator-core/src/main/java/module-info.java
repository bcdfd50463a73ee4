/**
 * An off-heap memory allocator on the Foreign Function &amp; Memory API: {@code mmap}-backed
 * regions that commit on demand, allocators on top, and safety a JVM programmer expects.
 *
 * <p>Exported: the exceptions and handle contracts ({@code dev.offheap.allocator}), regions, the
 * bump arena, the slab allocator and the ownership handles. The OS layer and validation helpers
 * are internal.
 */
module dev.offheap.allocator {
    exports dev.offheap.allocator;
    exports dev.offheap.allocator.region;
    exports dev.offheap.allocator.bump;
    exports dev.offheap.allocator.slab;
    exports dev.offheap.allocator.ownership;
}
