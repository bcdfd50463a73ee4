package dev.offheap.allocator.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The forked-JVM helper tells a clean exit, a thrown failure and a real native crash apart. */
@Timeout(120)
class ForkedJvmTest {

    /** Body for the child: "ok" exits 0, "throw" throws, "crash" writes to address 8. */
    public static final class Body {
        public static void main(String[] args) {
            switch (args[0]) {
                case "ok" -> System.out.println("child ran");
                case "throw" -> throw new AssertionError("child failed");
                case "crash" -> MemorySegment.ofAddress(8).reinterpret(8).set(ValueLayout.JAVA_LONG, 0, 1L);
                default -> System.exit(3);
            }
        }
    }

    @Test
    void cleanExitIsZeroWithOutput() {
        ForkedJvm.Result r = ForkedJvm.run(Body.class, "ok");
        assertEquals(0, r.exitCode(), r::describe);
        assertTrue(r.output().contains("child ran"), r::describe);
        assertFalse(r.crashed());
    }

    @Test
    void thrownFailureIsNonZero() {
        ForkedJvm.Result r = ForkedJvm.run(Body.class, "throw");
        assertEquals(1, r.exitCode(), r::describe);
        assertTrue(r.output().contains("child failed"), r::describe);
        assertFalse(r.crashed());
    }

    @Test
    void nativeCrashIsReportedAsCrash() {
        ForkedJvm.Result r = ForkedJvm.run(Body.class, "crash");
        assertTrue(r.exitCode() != 0, r::describe);
        assertTrue(r.crashed(), r::describe);
        assertTrue(r.output().contains("Java frames:") && r.output().contains("ForkedJvmTest$Body.main"),
                "the report names the Java frame that crashed: " + r.describe());
        assertTrue(r.output().contains("[whole report kept in "), r::describe);
    }
}
