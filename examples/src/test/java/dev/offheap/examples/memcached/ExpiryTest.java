package dev.offheap.examples.memcached;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Expiry as memcached reads it, on a clock the test moves: no sleeping. */
@Timeout(60)
class ExpiryTest {

    @Test
    void theRulesOfAnExpirationTime() {
        long now = 1_800_000_000L;
        assertEquals(Expiry.NEVER, Expiry.deadline(0, now));
        assertEquals(now + 10, Expiry.deadline(10, now));
        assertEquals(now + Expiry.MAX_RELATIVE_SECONDS, Expiry.deadline(Expiry.MAX_RELATIVE_SECONDS, now), "30 days is still relative");
        assertEquals(Expiry.MAX_RELATIVE_SECONDS + 1 <= now ? Expiry.ALREADY : Expiry.MAX_RELATIVE_SECONDS + 1,
                Expiry.deadline(Expiry.MAX_RELATIVE_SECONDS + 1, now), "above 30 days it is a Unix time (long past here)");
        assertEquals(now + 5, Expiry.deadline(now + 5, now), "an absolute time in the future");
        assertEquals(Expiry.ALREADY, Expiry.deadline(-1, now));
        assertEquals(true, Expiry.expired(Expiry.ALREADY, now));
        assertEquals(false, Expiry.expired(Expiry.NEVER, now));
        assertEquals(false, Expiry.expired(now + 1, now));
        assertEquals(true, Expiry.expired(now + 1, now + 1));
    }

    @Test
    void relativeAbsoluteAndNegativeExpiryOverTheWire() throws Exception {
        try (ServerFixture f = new ServerFixture(); TextExchange raw = f.raw()) {
            long now = f.clock.nowSeconds();
            assertEquals("STORED\r\n", raw.call("set rel 0 10 1\r\na\r\n", "\r\n"));
            assertEquals("STORED\r\n", raw.call("set abs 0 " + (now + 20) + " 1\r\nb\r\n", "\r\n"));
            assertEquals("STORED\r\n", raw.call("set past 0 " + (now - 20) + " 1\r\nc\r\n", "\r\n"));
            assertEquals("STORED\r\n", raw.call("set neg 0 -1 1\r\nd\r\n", "\r\n"));
            assertEquals("STORED\r\n", raw.call("set forever 0 0 1\r\ne\r\n", "\r\n"));
            assertEquals("VALUE rel 0 1\r\na\r\nVALUE abs 0 1\r\nb\r\nVALUE forever 0 1\r\ne\r\nEND\r\n",
                    raw.call("get rel abs past neg forever\r\n", "END\r\n"), "past and negative expired at once");
            f.clock.advanceSeconds(9);
            assertEquals("VALUE rel 0 1\r\na\r\nEND\r\n", raw.call("get rel\r\n", "END\r\n"), "1 s before its deadline");
            f.clock.advanceSeconds(1);
            assertEquals("END\r\n", raw.call("get rel\r\n", "END\r\n"), "at its deadline");
            assertEquals("VALUE abs 0 1\r\nb\r\nEND\r\n", raw.call("get abs\r\n", "END\r\n"));
            f.clock.advanceSeconds(10);
            assertEquals("VALUE forever 0 1\r\ne\r\nEND\r\n", raw.call("get abs forever\r\n", "END\r\n"));
        }
    }

    @Test
    void touchAndGatMoveTheDeadline() throws Exception {
        try (ServerFixture f = new ServerFixture(); TextExchange raw = f.raw()) {
            assertEquals("STORED\r\n", raw.call("set t 0 5 1\r\nx\r\n", "\r\n"));
            assertEquals("STORED\r\n", raw.call("set g 0 5 1\r\ny\r\n", "\r\n"));
            assertEquals("TOUCHED\r\n", raw.call("touch t 100\r\n", "\r\n"));
            assertEquals("NOT_FOUND\r\n", raw.call("touch nothing 100\r\n", "\r\n"));
            assertEquals("VALUE g 0 1\r\ny\r\nEND\r\n", raw.call("gat 100 g\r\n", "END\r\n"));
            f.clock.advanceSeconds(50);
            assertEquals("VALUE t 0 1\r\nx\r\nVALUE g 0 1\r\ny\r\nEND\r\n", raw.call("get t g\r\n", "END\r\n"));
            assertEquals("TOUCHED\r\n", raw.call("touch t -1\r\n", "\r\n"), "a negative touch expires it");
            assertEquals("END\r\n", raw.call("get t\r\n", "END\r\n"));
        }
    }

    @Test
    void flushAllWithADelayDropsWhatWasStoredBeforeTheDelayEnds() throws Exception {
        try (ServerFixture f = new ServerFixture(); TextExchange raw = f.raw()) {
            assertEquals("STORED\r\n", raw.call("set before 0 0 1\r\na\r\n", "\r\n"));
            assertEquals("OK\r\n", raw.call("flush_all 10\r\n", "\r\n"));
            assertEquals("VALUE before 0 1\r\na\r\nEND\r\n", raw.call("get before\r\n", "END\r\n"), "the delay has not ended");
            f.clock.advanceSeconds(10);
            assertEquals("STORED\r\n", raw.call("set after 0 0 1\r\nb\r\n", "\r\n"));
            assertEquals("VALUE after 0 1\r\nb\r\nEND\r\n", raw.call("get before after\r\n", "END\r\n"));
            assertEquals(1, f.store().currItems(), "the flushed item's memory went back when the delay ended");
            assertEquals("OK\r\n", raw.call("flush_all\r\n", "\r\n"));
            assertEquals("END\r\n", raw.call("get after\r\n", "END\r\n"));
            assertEquals(0, f.store().currItems());
        }
    }
}
