/**
 * jcstress tests of the slab allocator's lock-free parts, to be added with it:
 * <ul>
 *   <li>remote-free queue: producers push blocks freed on other threads while the owner drains —
 *       every block drained exactly once, none lost (outcomes: drained count per trial);</li>
 *   <li>handle generation check vs free: a {@code segment(handle)} racing {@code free(handle)} on
 *       another thread gets the segment or {@code UseAfterFreeException}, never another block;</li>
 *   <li>striped counters: a snapshot never shows frees above allocations.</li>
 * </ul>
 * Each test is one class with {@code @JCStressTest}, its own {@code @State}, and outcomes that name
 * what is forbidden; shared regions come from {@link dev.offheap.stress.StressRegions}.
 */
package dev.offheap.stress.slab;
