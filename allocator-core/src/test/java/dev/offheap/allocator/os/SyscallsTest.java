package dev.offheap.allocator.os;

import dev.offheap.allocator.NativeCallException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
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
    void mprotectOutsideAnyMappingFailsWithENOMEM() throws IOException {
        VirtualMemory vm = VirtualMemory.system();
        long page = vm.pageSize();
        // Page 0 is never mapped (vm.mmap_min_addr keeps every process off it), so nothing of this
        // JVM can be re-protected by the call. The address the test used before, one it had just
        // unmapped, could have been mapped again by another thread in between.
        long address = 0;
        assertFalse(isMapped(address, page), "precondition: no mapping covers page 0");
        NativeCallException e = assertThrows(NativeCallException.class, () -> vm.commit(address, page));
        assertEquals("ENOMEM", e.errnoName());
        assertEquals("mprotect(addr=0x0, len=" + page + ", prot=PROT_READ|PROT_WRITE) failed: ENOMEM (Cannot allocate memory)",
                e.getMessage());
    }

    @Test
    void theMappingCheckSeesAReservation() throws IOException {
        VirtualMemory vm = VirtualMemory.system();
        long page = vm.pageSize();
        long address = vm.reserve(page);
        try {
            assertTrue(isMapped(address, page), "control for the precondition above: a reservation is seen");
        } finally {
            vm.release(address, page);
        }
    }

    /** {@return whether some line of /proc/self/maps overlaps {@code [address, address + length)}} */
    private static boolean isMapped(long address, long length) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] range = line.substring(0, line.indexOf(' ')).split("-");
            long start = Long.parseUnsignedLong(range[0], 16);
            long end = Long.parseUnsignedLong(range[1], 16);
            if (Long.compareUnsigned(start, address + length) < 0 && Long.compareUnsigned(address, end) < 0) {
                return true;
            }
        }
        return false;
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
