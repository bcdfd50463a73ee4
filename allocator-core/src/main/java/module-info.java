/**
 * An off-heap memory allocator on the Foreign Function &amp; Memory API: {@code mmap}-backed
 * regions that commit on demand, allocators on top, and safety a JVM programmer expects.
 *
 * <p>Exported: the exceptions and handle contracts ({@code dev.offheap.allocator}), regions, the
 * bump arena, the slab, free-list and large-block allocators, budgets, the ownership handles,
 * metrics (snapshots, the Micrometer binder) and the JFR events. The OS layer and validation
 * helpers are internal.
 */
module dev.offheap.allocator {
    // Transitive: the exported JFR event classes extend jdk.jfr.Event.
    requires transitive jdk.jfr;
    // Optional: only dev.offheap.allocator.metrics.micrometer uses them (automatic module names).
    // Not transitive (automatic modules should not be): a module that binds requires Micrometer
    // itself (the binder classes suppress the "exports" lint for that reason).
    requires static micrometer.core;
    requires static micrometer.commons;

    exports dev.offheap.allocator;
    exports dev.offheap.allocator.region;
    exports dev.offheap.allocator.bump;
    exports dev.offheap.allocator.freelist;
    exports dev.offheap.allocator.large;
    exports dev.offheap.allocator.budget;
    exports dev.offheap.allocator.metrics;
    exports dev.offheap.allocator.metrics.micrometer;
    exports dev.offheap.allocator.jfr;
    exports dev.offheap.allocator.slab;
    exports dev.offheap.allocator.ownership;
    exports dev.offheap.allocator.facade;
}
