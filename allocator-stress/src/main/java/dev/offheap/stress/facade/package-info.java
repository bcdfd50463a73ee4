/**
 * jcstress tests of closing the façade and its children while other threads use them:
 * <ul>
 *   <li>{@link dev.offheap.stress.facade.OffHeapAllocateCloseTest}: allocate + write vs close — a
 *       block or {@link IllegalStateException}, and no live segment after close;</li>
 *   <li>{@link dev.offheap.stress.facade.ChildAllocateCloseTest}: a child's allocate + write vs its
 *       close — a block allocated before the close stays with the parent, never freed under its
 *       segment.</li>
 * </ul>
 */
package dev.offheap.stress.facade;
