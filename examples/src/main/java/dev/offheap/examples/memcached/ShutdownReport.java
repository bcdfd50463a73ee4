package dev.offheap.examples.memcached;

/**
 * What a {@link MemcachedServer} found when it stopped.
 *
 * @param connectionsDrained connections open when the shutdown began, closed after their replies
 * @param blocksLeftAfterDrain blocks still live in the allocator once every item was dropped and
 *        every write had finished: a block nothing owns, so a leak (0 when all is well)
 * @param leaksReported blocks the allocator reported leaked when it closed (0 when all is well)
 * @param doubleFrees double frees the allocator caught over the server's life
 */
public record ShutdownReport(int connectionsDrained, long blocksLeftAfterDrain, long leaksReported, long doubleFrees) {
    /** {@return whether nothing leaked and nothing was freed twice} */
    public boolean clean() {
        return blocksLeftAfterDrain == 0 && leaksReported == 0 && doubleFrees == 0;
    }
}
