package dev.offheap.allocator.os;

import dev.offheap.allocator.NativeCallException;

/**
 * What a region needs from the operating system: reserve address space, commit and decommit
 * pages, pre-fault them, and give the range back. The seam between the allocator and the kernel:
 * {@link #system()} is the real thing, and a test may wrap it to make a call fail.
 *
 * <p>Every address and length is page-aligned; every method throws {@link NativeCallException}
 * when the kernel refuses, and leaves the range as it was before the call in that case.
 *
 * <p>Thread-safety: implementations are stateless or thread-safe.
 */
public interface VirtualMemory {

    /** {@return the memory calls of this operating system} */
    static VirtualMemory system() {
        return SystemVirtualMemory.INSTANCE;
    }

    /** {@return the size of a page in bytes} */
    long pageSize();

    /**
     * Reserves address space that costs no memory: {@code PROT_NONE},
     * {@code MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE}.
     *
     * @param byteSize the length, a multiple of the page size
     * @return the start address, page-aligned
     */
    long reserve(long byteSize);

    /** Makes reserved pages readable and writable ({@code mprotect}); their content is zero. */
    void commit(long address, long byteSize);

    /**
     * Faults committed pages in now, so the first write by a user costs no page fault:
     * {@code madvise(MADV_POPULATE_WRITE)} where the kernel has it, else one write per page.
     */
    void populate(long address, long byteSize);

    /**
     * Faults committed pages in without writing to them ({@code madvise(MADV_POPULATE_WRITE)}), so
     * it may run while another thread uses the pages: a page already present is left as it is, a
     * missing one comes in as the zero page a first touch would get. Unlike {@link #populate} it
     * never falls back to writing. It may also race a {@link #decommit} of the range by another
     * thread: it then fails ({@code EINVAL} on Linux) and faults nothing in after the decommit.
     *
     * @return {@code false}, having done nothing, where the kernel has no such call (before Linux 5.14)
     */
    default boolean populateInPlace(long address, long byteSize) {
        return false;
    }

    /**
     * Makes committed pages inaccessible again ({@code mprotect(PROT_NONE)}) and gives them back to
     * the kernel ({@code madvise(MADV_DONTNEED)}), in that order, so that a {@link #populateInPlace}
     * racing it leaves no page resident.
     */
    void decommit(long address, long byteSize);

    /**
     * Gives the memory of committed pages back to the kernel ({@code madvise(MADV_DONTNEED)}) but
     * keeps them mapped readable and writable: on Linux the next touch of a page faults in a zero
     * page, so a segment that still reaches them reads zeros and never crashes.
     */
    void purge(long address, long byteSize);

    /**
     * Asks for transparent huge pages ({@code madvise(MADV_HUGEPAGE)}).
     *
     * @return {@code false} where the system has no such advice or refuses it as unsupported
     */
    boolean adviseHugePages(long address, long byteSize);

    /** Unmaps a reservation ({@code munmap}). */
    void release(long address, long byteSize);

    /**
     * {@return how long a closed region keeps its range mapped (readable, writable, its pages given
     * back) before {@link #release}; zero to unmap at once}
     * The JDK can let a thread make one more memory access through a shared scope just after
     * another thread closed it (JDK-8364167: the close's handshake may be processed at a safepoint
     * poll that cannot install the async exception). If the memory were unmapped at once, that
     * access would crash the JVM; kept mapped for a while, it lands in memory nobody uses. The
     * operating system's calls wait {@value #SYSTEM_UNMAP_GRACE_MILLIS} ms; by default (test
     * doubles) zero.
     */
    default java.time.Duration unmapGrace() {
        return java.time.Duration.ZERO;
    }

    /** The {@link #unmapGrace()} of the operating system's calls, in milliseconds. */
    long SYSTEM_UNMAP_GRACE_MILLIS = 1000;

    /**
     * Makes the first real commit, decommit and purge cheap by making the calls once now on one
     * reserved page, which is left as it was (reserved, {@code PROT_NONE}, no memory): the
     * downcalls are linked and their code generated at a time of the caller's choosing (a region
     * does it when it is built), not inside the first allocation. Does nothing by default.
     *
     * @param address a page of a reservation that is not committed
     */
    default void warmUp(long address) {
    }
}
