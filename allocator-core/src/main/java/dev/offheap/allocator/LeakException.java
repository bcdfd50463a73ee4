package dev.offheap.allocator;

import java.util.List;

/**
 * Thrown by the {@code close()} of an allocator built with {@link LeakPolicy#THROW} when blocks were
 * still live: after everything was released (the exception reports, it does not undo). It lists
 * every leaked block with its size and, where allocation sites are tracked, where it was allocated;
 * each site is also attached as a suppressed exception, so the stack trace shows it.
 *
 * <p>Thread-safety: immutable once constructed.
 */
public class LeakException extends OffHeapException {
    private static final long serialVersionUID = 1L;

    /** The most blocks the message names one by one; {@link #blocks()} has them all. */
    public static final int MAX_LISTED = 32;

    /**
     * One block still live at close.
     *
     * @param allocator the name of the allocator (or size range) that held it
     * @param handle its handle, or {@link Handles#NULL} where it is not known
     * @param byteSize its usable bytes
     * @param allocationSite where it was allocated, or null where untracked
     */
    public record Block(String allocator, long handle, long byteSize, Throwable allocationSite) {
    }

    private final transient List<Block> blocks;

    /**
     * @param allocator the allocator that closed
     * @param blocks every block still live at its close, at least one
     */
    public LeakException(String allocator, List<Block> blocks) {
        super(message(allocator, blocks));
        this.blocks = List.copyOf(blocks);
        for (Block b : this.blocks) {
            if (b.allocationSite() != null) {
                addSuppressed(b.allocationSite());
            }
        }
    }

    /** {@return every block still live at close} */
    public List<Block> blocks() {
        return blocks;
    }

    /** {@return their usable bytes in total} */
    public long bytes() {
        return blocks.stream().mapToLong(Block::byteSize).sum();
    }

    private static String message(String allocator, List<Block> blocks) {
        long bytes = blocks.stream().mapToLong(Block::byteSize).sum();
        StringBuilder m = new StringBuilder("blocks still live at close: allocator=").append(allocator)
                .append(", blocks=").append(blocks.size()).append(", bytes=").append(bytes);
        int sites = 0;
        for (int i = 0; i < Math.min(blocks.size(), MAX_LISTED); i++) {
            Block b = blocks.get(i);
            m.append("\n  block: allocator=").append(b.allocator()).append(", handle=")
                    .append(b.handle() == Handles.NULL ? "unknown" : Handles.toString(b.handle()))
                    .append(", byteSize=").append(b.byteSize())
                    .append(", allocationSite=").append(b.allocationSite() == null ? "untracked" : "suppressed[" + sites++ + "]");
        }
        if (blocks.size() > MAX_LISTED) {
            m.append("\n  … and ").append(blocks.size() - MAX_LISTED).append(" more (see blocks())");
        }
        return m.toString();
    }
}
