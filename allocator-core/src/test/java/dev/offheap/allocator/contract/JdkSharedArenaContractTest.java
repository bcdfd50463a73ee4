package dev.offheap.allocator.contract;

import java.lang.foreign.Arena;

/** The reference: the {@link ArenaContract} on the JDK's {@link Arena#ofShared()}. */
class JdkSharedArenaContractTest extends ArenaContract {
    @Override
    protected Arena open() {
        return Arena.ofShared();
    }
}
