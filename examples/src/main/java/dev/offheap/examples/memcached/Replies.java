package dev.offheap.examples.memcached;

import dev.offheap.netty.ByteBufSegments;
import io.netty.buffer.ByteBuf;

import java.lang.foreign.MemorySegment;

import java.nio.charset.StandardCharsets;

/**
 * The fixed replies of memcached's text protocol ({@code doc/protocol.txt}), as bytes, and the
 * writing of decimal numbers into a buffer without a string.
 *
 * <p>Thread-safety: stateless; the arrays are never written.
 */
final class Replies {
    static final byte[] STORED = ascii("STORED\r\n");
    static final byte[] NOT_STORED = ascii("NOT_STORED\r\n");
    static final byte[] EXISTS = ascii("EXISTS\r\n");
    static final byte[] NOT_FOUND = ascii("NOT_FOUND\r\n");
    static final byte[] DELETED = ascii("DELETED\r\n");
    static final byte[] TOUCHED = ascii("TOUCHED\r\n");
    static final byte[] END = ascii("END\r\n");
    static final byte[] OK = ascii("OK\r\n");
    static final byte[] RESET = ascii("RESET\r\n");
    static final byte[] ERROR = ascii("ERROR\r\n");
    static final byte[] VALUE = ascii("VALUE ");
    static final byte[] CRLF = ascii("\r\n");
    static final byte[] BAD_FORMAT = ascii("CLIENT_ERROR bad command line format\r\n");
    static final byte[] BAD_DELETE = ascii("CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n");
    static final byte[] BAD_DATA_CHUNK = ascii("CLIENT_ERROR bad data chunk\r\n");
    static final byte[] BAD_EXPTIME = ascii("CLIENT_ERROR invalid exptime argument\r\n");
    static final byte[] BAD_DELTA = ascii("CLIENT_ERROR invalid numeric delta argument\r\n");
    static final byte[] NON_NUMERIC = ascii("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
    static final byte[] LINE_TOO_LONG = ascii("CLIENT_ERROR line too long\r\n");
    static final byte[] TOO_LARGE = ascii("SERVER_ERROR object too large for cache\r\n");
    static final byte[] OUT_OF_MEMORY_STORING = ascii("SERVER_ERROR out of memory storing object\r\n");
    static final byte[] OUT_OF_MEMORY = ascii("SERVER_ERROR out of memory\r\n");
    static final byte[] TOO_MANY_CONNECTIONS = ascii("ERROR Too many open connections\r\n");

    private Replies() {
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Writes {@code VALUE <key> <flags> <bytes>[ <cas>]\r\n} for the item in {@code block}.
     *
     * @param cas the cas unique, written if {@code withCas}
     */
    static void writeValueLine(ByteBuf out, MemorySegment block, int keyLength, int flags, int valueLength,
                               boolean withCas, long cas) {
        out.writeBytes(VALUE);
        ByteBufSegments.writeBytes(out, block, ItemLayout.KEY_OFFSET, keyLength);
        out.writeByte(' ');
        writeUnsigned(out, Integer.toUnsignedLong(flags));
        out.writeByte(' ');
        writeUnsigned(out, valueLength);
        if (withCas) {
            out.writeByte(' ');
            writeUnsigned(out, cas);
        }
        out.writeBytes(CRLF);
    }

    /** Writes {@code value}, read as unsigned, in decimal, with no garbage. */
    static void writeUnsigned(ByteBuf out, long value) {
        int length = decimalLength(value);
        out.ensureWritable(length);
        int end = out.writerIndex() + length;
        int pos = end;
        long v = value;
        if (v < 0) { // at or above 2^63: take the last digit off the unsigned way
            long quotient = Long.divideUnsigned(v, 10);
            out.setByte(--pos, '0' + (int) (v - quotient * 10));
            v = quotient;
        }
        do {
            out.setByte(--pos, '0' + (int) (v % 10));
            v /= 10;
        } while (v > 0);
        out.writerIndex(end);
    }

    private static int decimalLength(long value) {
        if (value < 0) {
            return Long.compareUnsigned(value, TEN_TO_THE_19) < 0 ? 19 : 20;
        }
        int length = 1;
        for (long v = value; v >= 10; v /= 10) {
            length++;
        }
        return length;
    }

    private static final long TEN_TO_THE_19 = Long.parseUnsignedLong("10000000000000000000");
}
