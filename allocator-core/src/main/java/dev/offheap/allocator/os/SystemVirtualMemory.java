package dev.offheap.allocator.os;

import dev.offheap.allocator.NativeCallException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@link VirtualMemory} through {@link Syscalls}.
 *
 * <p>Thread-safety: thread-safe; the only state is whether the kernel knows
 * {@code MADV_POPULATE_WRITE}, learnt once and published through a volatile field (a stale read
 * only costs one more refused {@code madvise}).
 */
final class SystemVirtualMemory implements VirtualMemory {
    static final SystemVirtualMemory INSTANCE = new SystemVirtualMemory();

    private final Platform platform = Syscalls.platform();
    private final long pageSize = Syscalls.pageSize();
    private volatile boolean populateWriteSupported = platform.madvPopulateWrite() >= 0;

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
    public void populate(long address, long byteSize) {
        if (populateWriteSupported) {
            try {
                Syscalls.madvise(address, byteSize, platform.madvPopulateWrite());
                return;
            } catch (NativeCallException e) {
                // EINVAL: a kernel older than 5.14 does not know the advice; touch pages instead.
                if (!Syscalls.is(e, Errno.EINVAL)) {
                    throw e;
                }
                populateWriteSupported = false;
            }
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
        Syscalls.madvise(address, byteSize, platform.madvDontNeed());
        Syscalls.mprotect(address, byteSize, Platform.PROT_NONE);
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
