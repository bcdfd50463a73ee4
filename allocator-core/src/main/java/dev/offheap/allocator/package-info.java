/**
 * The contracts every allocator of the library shares: {@link dev.offheap.allocator.HandleAllocator}
 * and its handles ({@link dev.offheap.allocator.Handles}), the exceptions, and the listeners
 * ({@link dev.offheap.allocator.LeakListener}, {@link dev.offheap.allocator.MisuseListener},
 * {@link dev.offheap.allocator.AllocationListener}).
 *
 * <h2>The safety rule</h2>
 * Every allocator keeps it, and every test of the library checks a part of it:
 * <ol>
 *   <li>No public call, in any order and from any thread, makes the JVM touch memory that is not
 *       committed and owned. Every access the library itself makes (zeroing, poisoning, copying in
 *       a resize, purging) goes through a segment bound to the scope that closes before that memory
 *       is decommitted or unmapped; no global-scope segment is used outside the escape hatches.</li>
 *   <li>A block's bytes are never reachable through a handle or segment whose block was freed,
 *       resized away or closed, except through the documented escape hatches: raw addresses
 *       ({@code allocateAddress}) and, in unchecked mode, a segment the caller kept after freeing its
 *       block. A stale handle never names a live block (see {@link dev.offheap.allocator.Handles}:
 *       generations only go up, a location past the last generation is retired).</li>
 *   <li>A closed allocator, or one whose region was closed under it, answers every call with
 *       {@link java.lang.IllegalStateException} naming it; a close racing other threads' calls lets
 *       each of them finish or throw {@code IllegalStateException}.</li>
 *   <li>Misuse (double free, use after free, foreign or interior handle) is classified in one place
 *       and reported through one path: the exception, a counter in the allocator's snapshot, a JFR
 *       event and the optional {@link dev.offheap.allocator.MisuseListener}; the allocator is
 *       unchanged and usable after it. A free racing another free of the same block is caught and
 *       counted once.</li>
 *   <li>Leaks (blocks still live at close, object handles that became unreachable) are reported
 *       once each through one path: the {@link dev.offheap.allocator.LeakListener}, a JFR event, the
 *       {@code leaks} count; {@link dev.offheap.allocator.LeakPolicy#THROW} makes a close throw
 *       {@link dev.offheap.allocator.LeakException} for test suites.</li>
 * </ol>
 */
package dev.offheap.allocator;
