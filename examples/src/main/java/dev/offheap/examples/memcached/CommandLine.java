package dev.offheap.examples.memcached;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One connection's command line: the bytes read so far (at most
 * {@value MemcachedConnection#MAX_LINE}), and once the line is whole its tokens, split on spaces
 * as memcached splits them, with the number parsers memcached's {@code safe_strto*} stand for.
 *
 * <p>Thread-safety: not thread-safe; confined to its connection's event loop.
 */
final class CommandLine {
    /** More tokens than any command but the retrievals (which scan the line themselves) takes. */
    static final int MAX_TOKENS = 8;

    /** The line's bytes; null until the connection's first command, and again once it closes. */
    byte[] bytes;
    /** Bytes of {@link #bytes} that hold the line so far. */
    int length;
    /** Tokens found by {@link #tokenize}; {@value #MAX_TOKENS} + 1 means "too many". */
    int tokens;
    final int[] start = new int[MAX_TOKENS];
    final int[] end = new int[MAX_TOKENS];
    /** Set by the number parsers: the last token read was not a number in range. */
    boolean badNumber;

    void ensureBuffer() {
        if (bytes == null) {
            bytes = new byte[MemcachedConnection.MAX_LINE];
        }
    }

    void release() {
        bytes = null;
        length = 0;
    }

    /** Splits {@code bytes[0, lineEnd)} on spaces; past {@value #MAX_TOKENS} tokens counts one more. */
    void tokenize(int lineEnd) {
        tokens = 0;
        int p = skipSpaces(0, lineEnd);
        while (p < lineEnd) {
            int stop = nextSpace(p, lineEnd);
            if (tokens == MAX_TOKENS) {
                tokens++;
                return;
            }
            start[tokens] = p;
            end[tokens] = stop;
            tokens++;
            p = skipSpaces(stop, lineEnd);
        }
    }

    int skipSpaces(int p, int limit) {
        while (p < limit && bytes[p] == ' ') {
            p++;
        }
        return p;
    }

    int nextSpace(int p, int limit) {
        while (p < limit && bytes[p] != ' ') {
            p++;
        }
        return p;
    }

    /** {@return whether token {@code token} is exactly {@code word}} */
    boolean is(int token, byte[] word) {
        if (token >= Math.min(tokens, MAX_TOKENS) || end[token] - start[token] != word.length) {
            return false;
        }
        return Arrays.equals(bytes, start[token], end[token], word, 0, word.length);
    }

    String token(int token) {
        return new String(bytes, start[token], end[token] - start[token], StandardCharsets.US_ASCII);
    }

    /** An unsigned 64-bit decimal (as Java's long bits); sets {@link #badNumber}. */
    long parseUnsigned(int token) {
        badNumber = true;
        int s = start[token];
        int e = end[token];
        if (e - s == 0 || e - s > 20) {
            return 0;
        }
        long value = 0;
        for (int i = s; i < e; i++) {
            int d = bytes[i] - '0';
            if (d < 0 || d > 9) {
                return 0;
            }
            long times10 = value * 10;
            if (Long.compareUnsigned(value, Long.divideUnsigned(-1L, 10)) > 0 || Long.compareUnsigned(times10 + d, times10) < 0) {
                return 0;
            }
            value = times10 + d;
        }
        badNumber = false;
        return value;
    }

    /** A signed 32-bit decimal, as memcached's {@code safe_strtol}; sets {@link #badNumber}. */
    long parseSigned(int token) {
        int s = start[token];
        boolean negative = s < end[token] && bytes[s] == '-';
        if (negative) {
            start[token]++;
        }
        long magnitude = parseUnsigned(token);
        if (negative) {
            start[token]--;
        }
        if (badNumber || magnitude > (negative ? 1L << 31 : Integer.MAX_VALUE)) {
            badNumber = true;
            return 0;
        }
        return negative ? -magnitude : magnitude;
    }
}
