package dev.offheap.allocator.os;

import java.util.Locale;

/**
 * The operating system this JVM runs on, and the constants of the memory calls that differ
 * between systems. Linux (x86_64, aarch64) is the first target; macOS values are given where they
 * differ; every other system is refused with a clear message at first use.
 *
 * <p>Thread-safety: immutable.
 *
 * @param name a short name of the system, {@code linux} or {@code macos}
 * @param mapAnonymous {@code MAP_ANONYMOUS} (Linux {@code 0x20}, macOS {@code MAP_ANON 0x1000})
 * @param mapNoReserve {@code MAP_NORESERVE} (Linux {@code 0x4000}, macOS {@code 0x40})
 * @param madvDontNeed the advice that gives pages back: Linux {@code MADV_DONTNEED 4},
 *        macOS {@code MADV_FREE 5} (macOS' own {@code MADV_DONTNEED} keeps the pages)
 * @param madvHugePage {@code MADV_HUGEPAGE} (Linux {@code 14}); {@code -1} where there is none
 * @param madvPopulateWrite {@code MADV_POPULATE_WRITE} (Linux 5.14+, {@code 23}); {@code -1} where there is none
 * @param scPageSize {@code _SC_PAGESIZE} for {@code sysconf} (Linux {@code 30}, macOS {@code 29})
 * @param schedIdle {@code SCHED_IDLE} for {@code sched_setscheduler} (Linux {@code 5}); {@code -1} where there is none
 */
public record Platform(String name, int mapAnonymous, int mapNoReserve, int madvDontNeed, int madvHugePage,
                       int madvPopulateWrite, int scPageSize, int schedIdle) {

    /** {@code PROT_NONE}: the same everywhere. */
    public static final int PROT_NONE = 0;
    /** {@code PROT_READ}: the same everywhere. */
    public static final int PROT_READ = 1;
    /** {@code PROT_WRITE}: the same everywhere. */
    public static final int PROT_WRITE = 2;
    /** {@code MAP_PRIVATE}: the same everywhere. */
    public static final int MAP_PRIVATE = 2;

    private static final Platform LINUX = new Platform("linux", 0x20, 0x4000, 4, 14, 23, 30, 5);
    private static final Platform MACOS = new Platform("macos", 0x1000, 0x40, 5, -1, -1, 29, -1);

    /**
     * {@return the platform of this JVM}
     *
     * @throws UnsupportedOperationException on a system or architecture this library does not support
     */
    public static Platform current() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        boolean knownArch = arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64");
        if (knownArch && os.startsWith("linux")) {
            return LINUX;
        }
        if (knownArch && os.startsWith("mac")) {
            return MACOS;
        }
        throw new UnsupportedOperationException("offheap runs on Linux (x86_64, aarch64) and macOS only: os.name="
                + System.getProperty("os.name") + ", os.arch=" + System.getProperty("os.arch"));
    }

    /** {@return the symbolic form of a {@code prot} argument, such as {@code PROT_READ|PROT_WRITE}} */
    public static String protName(int prot) {
        if (prot == PROT_NONE) {
            return "PROT_NONE";
        }
        StringBuilder s = new StringBuilder();
        if ((prot & PROT_READ) != 0) {
            s.append("PROT_READ");
        }
        if ((prot & PROT_WRITE) != 0) {
            s.append(s.isEmpty() ? "" : "|").append("PROT_WRITE");
        }
        int rest = prot & ~(PROT_READ | PROT_WRITE);
        if (rest != 0) {
            s.append(s.isEmpty() ? "" : "|").append("0x").append(Integer.toHexString(rest));
        }
        return s.toString();
    }

    /** {@return the symbolic form of a {@code flags} argument of {@code mmap}} */
    public String mapFlagsName(int flags) {
        StringBuilder s = new StringBuilder();
        int rest = flags;
        if ((flags & MAP_PRIVATE) != 0) {
            s.append("MAP_PRIVATE");
            rest &= ~MAP_PRIVATE;
        }
        if ((flags & mapAnonymous) != 0) {
            s.append(s.isEmpty() ? "" : "|").append("MAP_ANONYMOUS");
            rest &= ~mapAnonymous;
        }
        if ((flags & mapNoReserve) != 0) {
            s.append(s.isEmpty() ? "" : "|").append("MAP_NORESERVE");
            rest &= ~mapNoReserve;
        }
        if (rest != 0) {
            s.append(s.isEmpty() ? "" : "|").append("0x").append(Integer.toHexString(rest));
        }
        return s.toString();
    }

    /** {@return the symbolic form of a {@code madvise} advice} */
    public String adviceName(int advice) {
        if (advice == madvDontNeed) {
            return name.equals("linux") ? "MADV_DONTNEED" : "MADV_FREE";
        }
        if (advice == madvHugePage) {
            return "MADV_HUGEPAGE";
        }
        if (advice == madvPopulateWrite) {
            return "MADV_POPULATE_WRITE";
        }
        return Integer.toString(advice);
    }
}
