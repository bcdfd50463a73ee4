/**
 * jcstress tests of the object handles ({@code MemoryBlock}) across threads, on the shared slab
 * ({@link dev.offheap.stress.StressSlabs}):
 * <ul>
 *   <li>{@link dev.offheap.stress.ownership.MemoryBlockMoveCloseTest}: move vs close — exactly one
 *       wins;</li>
 *   <li>{@link dev.offheap.stress.ownership.MemoryBlockMoveToCloseTest}: moveTo + write + close vs
 *       close of the old handle — freed exactly once.</li>
 * </ul>
 */
package dev.offheap.stress.ownership;
