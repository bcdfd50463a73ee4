package dev.offheap.allocator.os;

import dev.offheap.allocator.NativeCallException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@link VirtualMemory} through {@link Syscalls}.
 *
 * <p>Thread-safety: thread-safe; the only state is whether the kernel knows
 * {@code MADV_POPULATE_WRITE}, learnt once by a probe on a page of its own and published through a
 * volatile field (two threads may both probe; they learn the same).
 */
final class SystemVirtualMemory implements VirtualMemory {
    static final SystemVirtualMemory INSTANCE = new SystemVirtualMemory();

    private final Platform platform = Syscalls.platform();
    private final long pageSize = Syscalls.pageSize();
    private static final int UNKNOWN = 0;
    private static final int SUPPORTED = 1;
    private static final int UNSUPPORTED = 2;
    private volatile int populateWrite = platform.madvPopulateWrite() >= 0 ? UNKNOWN : UNSUPPORTED;

    private SystemVirtualMemory() {
    }

    @Override
    public long pageSize() {
        return pageSize;
    }

    @Override
    public java.time.Duration unmapGrace() {
        return java.time.Duration.ofMillis(SYSTEM_UNMAP_GRACE_MILLIS);
    }

    @Override
    public long reserve(long byteSize) {
        return Syscalls.mmap(0L, byteSize, Platform.PROT_NONE,
                Platform.MAP_PRIVATE | platform.mapAnonymous() | platform.mapNoReserve());
    }

    @Override
    public void commit(long address, long byteSize) {
        Syscalls.mprotect(address, byteSize, Platform.PROT_READ | Platform.PROT_WRITE);
    }

    @Override
    public boolean populateInPlace(long address, long byteSize) {
        if (!populateWriteSupported()) {
            return false;
        }
        Syscalls.madvise(address, byteSize, platform.madvPopulateWrite());
        return true;
    }

    /**
     * Learns whether the kernel knows {@code MADV_POPULATE_WRITE} on a page mapped for the probe
     * alone: its {@code EINVAL} means "unknown advice" only there, since the same errno also comes
     * from a range another thread just made {@code PROT_NONE}.
     */
    private boolean populateWriteSupported() {
        int known = populateWrite;
        if (known == UNKNOWN) {
            long page = Syscalls.mmap(0L, pageSize, Platform.PROT_READ | Platform.PROT_WRITE,
                    Platform.MAP_PRIVATE | platform.mapAnonymous());
            try {
                Syscalls.madvise(page, pageSize, platform.madvPopulateWrite());
                known = SUPPORTED;
            } catch (NativeCallException e) {
                if (!Syscalls.is(e, Errno.EINVAL)) {
                    throw e; // not an answer: probe again next time
                }
                known = UNSUPPORTED; // a kernel older than 5.14
            } finally {
                Syscalls.munmap(page, pageSize);
            }
            populateWrite = known;
        }
        return known == SUPPORTED;
    }

    @Override
    public void populate(long address, long byteSize) {
        if (populateInPlace(address, byteSize)) {
            return;
        }
        // One write per page faults it in. Writing zero keeps the content a fresh page has. The
        // segment is bound to a confined scope that closes before this call returns (a confined
        // close costs no handshake), so nothing outlives the caller's hold on the committed pages.
        try (Arena scope = Arena.ofConfined()) {
            MemorySegment pages = MemorySegment.ofAddress(address).reinterpret(byteSize, scope, null);
            for (long offset = 0; offset < byteSize; offset += pageSize) {
                pages.set(ValueLayout.JAVA_BYTE, offset, (byte) 0);
            }
        }
    }

    @Override
    public void decommit(long address, long byteSize) {
        // Protection first: a pre-fault in place racing this call (another thread's, see
        // populateInPlace) cannot fault a page in once the range is PROT_NONE, and the pages it
        // faulted in before go with the MADV_DONTNEED. So nothing stays resident after a decommit.
        Syscalls.mprotect(address, byteSize, Platform.PROT_NONE);
        try {
            Syscalls.madvise(address, byteSize, platform.madvDontNeed());
        } catch (NativeCallException e) {
            try {
                Syscalls.mprotect(address, byteSize, Platform.PROT_READ | Platform.PROT_WRITE); // as it was
            } catch (NativeCallException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
    }

    @Override
    public void purge(long address, long byteSize) {
        Syscalls.madvise(address, byteSize, platform.madvDontNeed());
    }

    @Override
    public boolean adviseHugePages(long address, long byteSize) {
        if (platform.madvHugePage() < 0) {
            return false;
        }
        try {
            Syscalls.madvise(address, byteSize, platform.madvHugePage());
            return true;
        } catch (NativeCallException e) {
            // EINVAL: the kernel was built without transparent huge pages.
            if (Syscalls.is(e, Errno.EINVAL)) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public void warmUp(long address) {
        // Both calls are no-ops on a reserved PROT_NONE page; each links its downcall's code.
        Syscalls.mprotect(address, pageSize, Platform.PROT_NONE);
        Syscalls.madvise(address, pageSize, platform.madvDontNeed());
    }

    @Override
    public void release(long address, long byteSize) {
        Syscalls.munmap(address, byteSize);
    }
}
