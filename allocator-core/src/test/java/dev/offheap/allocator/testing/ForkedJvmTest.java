package dev.offheap.allocator.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The forked-JVM helper reports what a child did, a crash included, without taking the suite down. */
@Timeout(120)
class ForkedJvmTest {

    /** TEST ONLY: the child's bodies. */
    public static final class Child {
        private Child() {
        }

        public static void main(String[] args) {
            switch (args[0]) {
                case "print" -> System.out.println("hello " + args[1]);
                case "exit" -> System.exit(Integer.parseInt(args[1]));
                // A write through a global-scope segment to page 0: the crash this helper exists for.
                case "crash" -> MemorySegment.ofAddress(0).reinterpret(8).set(ValueLayout.JAVA_LONG, 0, 1L);
                default -> throw new IllegalArgumentException(args[0]);
            }
        }
    }

    @Test
    void aChildsOutputAndExitCodeComeBack() {
        ForkedJvm.Result printed = ForkedJvm.run(Child.class, "print", "world");
        assertEquals(0, printed.exitCode(), printed.describe());
        assertTrue(printed.output().contains("hello world"), printed.describe());
        assertEquals("", printed.crashSummary());
        assertEquals(7, ForkedJvm.run(Child.class, "exit", "7").exitCode());
    }

    @Test
    void aCrashingChildFailsWithItsExitCodeAndTheHsErrSummary() {
        ForkedJvm.Result crashed = ForkedJvm.run(Child.class, "crash");
        assertNotEquals(0, crashed.exitCode(), crashed.describe());
        assertTrue(crashed.crashSummary().contains("SIGSEGV"), crashed.describe());
    }
}
