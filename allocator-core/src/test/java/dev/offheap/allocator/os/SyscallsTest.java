package dev.offheap.allocator.os;

import dev.offheap.allocator.NativeCallException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyscallsTest {

    @Test
    void pageSizeIsAPowerOfTwo() {
        long pageSize = Syscalls.pageSize();
        assertTrue(pageSize >= 4096, "pageSize=" + pageSize);
        assertEquals(0, pageSize & (pageSize - 1), "pageSize=" + pageSize);
    }

    @Test
    void munmapOfAnUnalignedAddressNamesTheCallAndErrno() {
        NativeCallException e = assertThrows(NativeCallException.class, () -> Syscalls.munmap(0x1001, 4096));
        assertEquals("munmap(addr=0x1001, len=4096) failed: EINVAL (Invalid argument)", e.getMessage());
        assertEquals("EINVAL", e.errnoName());
        assertEquals(22, e.errno());
    }

    @Test
    void mmapOfAnAbsurdLengthNamesTheCallArgumentsAndErrno() {
        Platform p = Syscalls.platform();
        long absurd = 1L << 62;
        NativeCallException e = assertThrows(NativeCallException.class, () -> Syscalls.mmap(0, absurd,
                Platform.PROT_NONE, Platform.MAP_PRIVATE | p.mapAnonymous() | p.mapNoReserve()));
        assertEquals("mmap(addr=0x0, len=" + absurd + ", prot=PROT_NONE, flags=MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE,"
                + " fd=-1, offset=0) failed: ENOMEM (Cannot allocate memory)", e.getMessage());
    }

    @Test
    void mprotectOutsideAnyMappingFailsWithENOMEM() {
        VirtualMemory vm = VirtualMemory.system();
        long page = vm.pageSize();
        long address = vm.reserve(4 * page);
        vm.release(address, 4 * page);
        // The range is unmapped now: the kernel answers ENOMEM for mprotect of unmapped pages.
        NativeCallException e = assertThrows(NativeCallException.class, () -> vm.commit(address, page));
        assertEquals("ENOMEM", e.errnoName());
        assertTrue(e.getMessage().startsWith("mprotect(addr=0x" + Long.toHexString(address) + ", len=" + page
                + ", prot=PROT_READ|PROT_WRITE) failed"), e.getMessage());
    }

    @Test
    void madviseWithAnUnknownAdviceFailsWithEINVAL() {
        VirtualMemory vm = VirtualMemory.system();
        long page = vm.pageSize();
        long address = vm.reserve(page);
        try {
            NativeCallException e = assertThrows(NativeCallException.class, () -> Syscalls.madvise(address, page, 9999));
            assertEquals("madvise(addr=0x" + Long.toHexString(address) + ", len=" + page
                    + ", advice=9999) failed: EINVAL (Invalid argument)", e.getMessage());
        } finally {
            vm.release(address, page);
        }
    }
}
