package dev.offheap.allocator.facade;

import dev.offheap.allocator.ownership.LeakDetection;
import dev.offheap.allocator.region.Region;
import dev.offheap.allocator.slab.SlabAllocator;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * The defaults of {@link OffHeap#builder()}, each settable by a system property, so an operator
 * can change them without a rebuild ({@code java -Ddev.offheap.limit=4g ...}). What the builder is
 * told wins over the property; the property wins over the built-in default. Properties are read
 * each time a builder is made.
 *
 * <p>Thread-safety: stateless; reads {@link System#getProperty(String)}.
 *
 * {@snippet :
 * // java -Ddev.offheap.limit=4g -Ddev.offheap.decay=2s ...
 * OffHeap fromProperties = OffHeap.builder().build();                // limit 4 GiB, decay 2 s
 * OffHeap fromCode = OffHeap.builder().limit(256L << 20).build();    // limit 256 MiB: the builder wins
 * }
 *
 * <table class="striped">
 *   <caption>System properties</caption>
 *   <thead><tr><th>property</th><th>values</th><th>default</th><th>builder method</th></tr></thead>
 *   <tbody>
 *     <tr><td>{@value #RESERVE}</td><td>bytes: {@code 68719476736}, {@code 64g}, {@code 512m}, {@code 4k}</td>
 *         <td>64 GiB</td><td>{@link OffHeap.Builder#reserve(long)}</td></tr>
 *     <tr><td>{@value #LIMIT}</td><td>bytes, as above</td><td>none</td><td>{@link OffHeap.Builder#limit(long)}</td></tr>
 *     <tr><td>{@value #DECAY}</td><td>{@code 10s}, {@code 500ms}, {@code 2m}, {@code 0}, or ISO-8601 {@code PT10S}</td>
 *         <td>10 s</td><td>{@link OffHeap.Builder#decay(Duration)}</td></tr>
 *     <tr><td>{@value #HUGE_PAGES}</td><td>{@code true}, {@code false}</td><td>{@code false}</td>
 *         <td>{@link OffHeap.Builder#hugePages(boolean)}</td></tr>
 *     <tr><td>{@value #ZEROING}</td><td>{@code true}, {@code false}</td><td>{@code true}</td>
 *         <td>{@link OffHeap.Builder#zeroing(boolean)}</td></tr>
 *     <tr><td>{@value #CHECKED}</td><td>{@code true}, {@code false}</td><td>{@code false}</td>
 *         <td>{@link OffHeap.Builder#checked(boolean)}</td></tr>
 *     <tr><td>{@value #LEAK_DETECTION}</td><td>{@code disabled}, {@code sampled}, {@code paranoid}</td>
 *         <td>{@code sampled}</td><td>{@link OffHeap.Builder#leakDetection(LeakDetection)}</td></tr>
 *     <tr><td>{@value #THREAD_CACHES}</td><td>{@code true}, {@code false}</td><td>{@code true}</td>
 *         <td>{@link OffHeap.Builder#threadCaches(boolean)}</td></tr>
 *     <tr><td>{@value #POOLED_CACHES}</td><td>a count, at least 1</td><td>twice the processors, at least 4</td>
 *         <td>{@link OffHeap.Builder#pooledCaches(int)}</td></tr>
 *   </tbody>
 * </table>
 *
 * A value that does not parse makes {@link OffHeap#builder()} throw {@link IllegalArgumentException}
 * naming the property and the value: a typo in a deployment fails at start, not silently.
 */
public final class OffHeapDefaults {
    /** Property: the address space an {@code OffHeap} reserves. */
    public static final String RESERVE = "dev.offheap.reserve";
    /** Property: the most bytes an {@code OffHeap} commits at once. */
    public static final String LIMIT = "dev.offheap.limit";
    /** Property: how long idle memory stays committed. */
    public static final String DECAY = "dev.offheap.decay";
    /** Property: whether committed chunks are advised {@code MADV_HUGEPAGE}. */
    public static final String HUGE_PAGES = "dev.offheap.huge.pages";
    /** Property: whether blocks are handed out zeroed. */
    public static final String ZEROING = "dev.offheap.zeroing";
    /** Property: checked mode (poison, canaries, a scope per block) for every range. */
    public static final String CHECKED = "dev.offheap.checked";
    /** Property: the leak detection level for object handles. */
    public static final String LEAK_DETECTION = "dev.offheap.leak.detection";
    /** Property: whether each platform thread holds a slab cache of its own. */
    public static final String THREAD_CACHES = "dev.offheap.thread.caches";
    /** Property: the most pooled slab caches, which virtual threads borrow. */
    public static final String POOLED_CACHES = "dev.offheap.pooled.caches";

    private OffHeapDefaults() {
    }

    /**
     * {@return a region builder with the reservation, limit, decay and huge-pages defaults applied,
     * and commit ahead on} Eight chunks (16 MiB) ahead: the slab, the free list and large blocks all
     * draw from the one region, and growth must not put a commit or a page fault on an allocating
     * thread (two chunks were not enough for a loop growing as fast as it can: docs/region.md).
     * Ready chunks are idle chunks: they decay like any other when the service stops growing.
     *
     * @throws IllegalArgumentException if one of those properties is set to a bad value
     */
    static Region.Builder regionBuilder() {
        Region.Builder region = Region.builder().commitAhead(8 * Region.DEFAULT_CHUNK_BYTES);
        String reserve = System.getProperty(RESERVE);
        if (reserve != null) {
            applyTo(RESERVE, reserve, () -> region.reserve(parseBytes(RESERVE, reserve)));
        }
        String limit = System.getProperty(LIMIT);
        if (limit != null) {
            applyTo(LIMIT, limit, () -> region.limit(parseBytes(LIMIT, limit)));
        }
        String decay = System.getProperty(DECAY);
        if (decay != null) {
            applyTo(DECAY, decay, () -> region.decay(parseDuration(DECAY, decay)));
        }
        region.hugePages(flag(HUGE_PAGES, false));
        return region;
    }

    /** Runs a builder setter; a value it refuses is reported with the property that gave it. */
    private static void applyTo(String property, String value, Runnable setter) {
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("system property")) {
                throw e;
            }
            throw new IllegalArgumentException("system property refused (" + e.getMessage() + "): "
                    + property + "=" + value, e);
        }
    }

    /**
     * {@return the zeroing default: {@value #ZEROING}, else {@code true}}
     *
     * @throws IllegalArgumentException if the property is neither {@code true} nor {@code false}
     */
    public static boolean zeroing() {
        return flag(ZEROING, true);
    }

    /**
     * {@return the checked-mode default: {@value #CHECKED}, else {@code false}}
     *
     * @throws IllegalArgumentException if the property is neither {@code true} nor {@code false}
     */
    public static boolean checked() {
        return flag(CHECKED, false);
    }

    /**
     * {@return the thread-cache default: {@value #THREAD_CACHES}, else {@code true}}
     *
     * @throws IllegalArgumentException if the property is neither {@code true} nor {@code false}
     */
    public static boolean threadCaches() {
        return flag(THREAD_CACHES, true);
    }

    /**
     * {@return the pooled-cache default: {@value #POOLED_CACHES}, else
     * {@link SlabAllocator.Builder#DEFAULT_POOLED_CACHES}}
     *
     * @throws IllegalArgumentException if the property is not a whole number of at least 1
     */
    public static int pooledCaches() {
        String value = System.getProperty(POOLED_CACHES);
        if (value == null) {
            return SlabAllocator.Builder.DEFAULT_POOLED_CACHES;
        }
        try {
            int count = Integer.parseInt(value.trim());
            if (count >= 1) {
                return count;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(POOLED_CACHES, value, "a whole number of at least 1");
    }

    /**
     * {@return the leak detection default: {@value #LEAK_DETECTION}, else {@link LeakDetection#SAMPLED}}
     *
     * @throws IllegalArgumentException if the property names no level
     */
    public static LeakDetection leakDetection() {
        String value = System.getProperty(LEAK_DETECTION);
        if (value == null) {
            return LeakDetection.SAMPLED;
        }
        try {
            return LeakDetection.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw bad(LEAK_DETECTION, value, "disabled, sampled or paranoid");
        }
    }

    /**
     * Parses a byte count: digits with an optional binary suffix {@code k}, {@code m}, {@code g}
     * or {@code t} (KiB, MiB, GiB, TiB; case-insensitive, an optional trailing {@code b} or
     * {@code ib} allowed: {@code 512MiB}).
     *
     * @param property the property's name, for the message
     * @param value the text
     * @return the bytes
     * @throws IllegalArgumentException if the text is not such a count or overflows a long
     */
    static long parseBytes(String property, String value) {
        String text = value.trim().toLowerCase(Locale.ROOT).replace("_", "");
        if (text.endsWith("ib")) {
            text = text.substring(0, text.length() - 2);
        } else if (text.endsWith("b")) {
            text = text.substring(0, text.length() - 1);
        }
        int shift = 0;
        if (!text.isEmpty()) {
            switch (text.charAt(text.length() - 1)) {
                case 'k' -> shift = 10;
                case 'm' -> shift = 20;
                case 'g' -> shift = 30;
                case 't' -> shift = 40;
                default -> { }
            }
        }
        String digits = shift == 0 ? text : text.substring(0, text.length() - 1);
        try {
            long number = Long.parseLong(digits.trim());
            if (number < 0 || (shift > 0 && number > (Long.MAX_VALUE >> shift))) {
                throw bad(property, value, "a byte count such as 512m");
            }
            return number << shift;
        } catch (NumberFormatException e) {
            throw bad(property, value, "a byte count such as 512m");
        }
    }

    /**
     * Parses a duration: {@code 0}, a number with {@code ms}, {@code s}, {@code m} or {@code h}, or
     * ISO-8601 ({@code PT10S}).
     *
     * @param property the property's name, for the message
     * @param value the text
     * @return the duration
     * @throws IllegalArgumentException if the text is none of those or is negative
     */
    static Duration parseDuration(String property, String value) {
        String text = value.trim().toLowerCase(Locale.ROOT);
        try {
            Duration d;
            if (text.startsWith("p") || text.startsWith("-p")) {
                d = Duration.parse(text.toUpperCase(Locale.ROOT));
            } else if (text.equals("0")) {
                d = Duration.ZERO;
            } else if (text.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2).trim()));
            } else if (text.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1).trim()));
            } else if (text.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(text.substring(0, text.length() - 1).trim()));
            } else if (text.endsWith("h")) {
                d = Duration.ofHours(Long.parseLong(text.substring(0, text.length() - 1).trim()));
            } else {
                throw bad(property, value, "a duration such as 10s, 500ms or PT10S");
            }
            if (d.isNegative()) {
                throw bad(property, value, "a duration that is not negative");
            }
            return d;
        } catch (NumberFormatException | DateTimeParseException e) {
            throw bad(property, value, "a duration such as 10s, 500ms or PT10S");
        }
    }

    private static boolean flag(String property, boolean fallback) {
        String value = System.getProperty(property);
        if (value == null) {
            return fallback;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw bad(property, value, "true or false");
        };
    }

    private static IllegalArgumentException bad(String property, String value, String expected) {
        return new IllegalArgumentException("system property must be " + expected + ": " + property + "=" + value);
    }
}
