package dev.offheap.allocator.os;

/**
 * The {@code errno} values the memory calls can leave, with their names and texts, numbered per
 * system. A value not listed reads as {@code errno=N}.
 *
 * <p>Thread-safety: immutable.
 */
enum Errno {
    EPERM(1, 1, "Operation not permitted"),
    ENOENT(2, 2, "No such file or directory"),
    EINTR(4, 4, "Interrupted system call"),
    EBADF(9, 9, "Bad file descriptor"),
    EAGAIN(11, 35, "Resource temporarily unavailable"),
    ENOMEM(12, 12, "Cannot allocate memory"),
    EACCES(13, 13, "Permission denied"),
    EFAULT(14, 14, "Bad address"),
    EBUSY(16, 16, "Device or resource busy"),
    EEXIST(17, 17, "File exists"),
    ENODEV(19, 19, "No such device"),
    EINVAL(22, 22, "Invalid argument"),
    ENFILE(23, 23, "Too many open files in system"),
    EMFILE(24, 24, "Too many open files"),
    ENOSPC(28, 28, "No space left on device"),
    ENOSYS(38, 78, "Function not implemented"),
    EOVERFLOW(75, 84, "Value too large for defined data type"),
    EOPNOTSUPP(95, 45, "Operation not supported"),
    EHWPOISON(133, -1, "Memory page has hardware error");

    private final int linux;
    private final int macos;
    private final String text;

    Errno(int linux, int macos, String text) {
        this.linux = linux;
        this.macos = macos;
        this.text = text;
    }

    /** {@return the errno with this number on the given platform, or {@code null}} */
    static Errno of(Platform platform, int value) {
        boolean isLinux = platform.name().equals("linux");
        for (Errno e : values()) {
            if ((isLinux ? e.linux : e.macos) == value) {
                return e;
            }
        }
        return null;
    }

    /** {@return the number of this errno on the given platform} */
    int value(Platform platform) {
        return platform.name().equals("linux") ? linux : macos;
    }

    static String name(Platform platform, int value) {
        Errno e = of(platform, value);
        return e == null ? "errno=" + value : e.name();
    }

    static String text(Platform platform, int value) {
        Errno e = of(platform, value);
        return e == null ? "unknown error" : e.text;
    }
}
