package dev.offheap.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract on the adapter with Netty's leak detector at {@code PARANOID}: every direct buffer
 * comes wrapped ({@code AdvancedLeakAwareByteBuf}), so the cases also cover the wrappers' paths
 * (a wrapped destination is not an {@code OffHeapByteBuf}, a wrapped slice counts through the
 * wrapper). The level is global; it is restored after each test.
 */
class OffHeapLeakAwareContractTest extends OffHeapDirectByteBufContractTest {
    private ResourceLeakDetector.Level saved;

    @Override
    protected ByteBufAllocator create() {
        saved = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ByteBufAllocator created = super.create();
        ByteBuf probe = created.directBuffer(1);
        try {
            assertTrue(probe.getClass().getSimpleName().contains("LeakAware"), "precondition: " + probe.getClass());
        } finally {
            probe.release();
        }
        return created;
    }

    @Override
    protected void destroy() {
        try {
            super.destroy();
        } finally {
            ResourceLeakDetector.setLevel(saved);
        }
    }
}
