/**
 * jcstress tests of the slab allocator's lock-free parts, on real {@code SlabAllocator} objects
 * (one shared allocator, {@link dev.offheap.stress.StressSlabs}; each trial frees what it left live):
 * <ul>
 *   <li>{@link dev.offheap.stress.slab.SlabRemoteFreeAllocateTest}: a remote free racing with the
 *       owner allocating again — no slot live twice, the free never lost;</li>
 *   <li>{@link dev.offheap.stress.slab.SlabFreeFreeTest}: two frees of one block — exactly one
 *       succeeds, except the documented owner/remote overlap (both pass, counted);</li>
 *   <li>{@link dev.offheap.stress.slab.SlabSegmentFreeTest}: {@code segment}/{@code isLive} racing
 *       a free and a reuse of the slot — the live block or {@code UseAfterFreeException}, never the
 *       reused block under the old handle;</li>
 *   <li>{@link dev.offheap.stress.slab.StripedCounterTest}: the striped counter never loses an add.</li>
 * </ul>
 * Each test is one class with {@code @JCStressTest}, its own {@code @State}, and outcomes that name
 * what is forbidden.
 */
package dev.offheap.stress.slab;
