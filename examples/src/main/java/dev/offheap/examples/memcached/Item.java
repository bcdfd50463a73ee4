package dev.offheap.examples.memcached;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One stored item: its off-heap block ({@link ItemLayout}) and what memcached keeps beside it.
 *
 * <p>Reference counted, so a block is never freed while a response still points into it: the
 * store holds one reference while the item is linked, and every response that sends the value
 * without a copy holds one until Netty has written it ({@link #operationComplete} is the
 * write's listener). The block is freed on the last release, on whichever thread that is, and
 * exactly once.
 *
 * <p>Thread-safety: the reference count is atomic; {@link #deadline}, {@link #cas}, the links and
 * {@link #linked} are guarded by the lock of the store's stripe that holds the item; the other
 * fields are final.
 */
final class Item implements ChannelFutureListener {
    private static final VarHandle REFS;

    static {
        try {
            REFS = MethodHandles.lookup().findVarHandle(Item.class, "refs", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final ItemStore store;
    final long handle;
    final int keyLength;
    final int valueLength;
    final int flags;
    final int hash;
    /** Unix seconds; {@link Expiry#NEVER} or the second at which it expires. */
    long deadline;
    long cas;
    /** Unix seconds when it was linked: a delayed {@code flush_all} drops items linked before it. */
    long linkedAt;
    boolean linked;
    Item hashNext;
    Item lruPrev;
    Item lruNext;
    @SuppressWarnings("unused") // through REFS
    private volatile int refs = 1;

    Item(ItemStore store, long handle, int keyLength, int valueLength, int flags, int hash, long deadline) {
        this.store = store;
        this.handle = handle;
        this.keyLength = keyLength;
        this.valueLength = valueLength;
        this.flags = flags;
        this.hash = hash;
        this.deadline = deadline;
    }

    /** {@return the whole block: key, value, trailer} Valid while a reference is held. */
    MemorySegment block() {
        return store.memory().segment(handle).asSlice(0, ItemLayout.blockBytes(keyLength, valueLength));
    }

    /**
     * {@return the block as the allocator bounds it (at least {@link #block()}'s bytes)} One object,
     * for the paths that run on every command. Valid while a reference is held.
     */
    MemorySegment raw() {
        return store.memory().segment(handle);
    }

    /** {@return the value followed by its {@code \r\n}} Valid while a reference is held. */
    MemorySegment valueWithTrailer() {
        return store.memory().segment(handle).asSlice(ItemLayout.valueOffset(keyLength), valueLength + ItemLayout.TRAILER_BYTES);
    }

    /** Takes one more reference; the caller must hold one already (or the stripe's lock while linked). */
    void retain() {
        int before = (int) REFS.getAndAdd(this, 1);
        if (before <= 0) {
            throw new IllegalStateException("item retained after its block was freed: refs=" + before);
        }
    }

    /** Gives one reference back; the last one frees the block. */
    void release() {
        int after = (int) REFS.getAndAdd(this, -1) - 1;
        if (after == 0) {
            store.freeBlock(this);
        } else if (after < 0) {
            throw new IllegalStateException("item released more often than retained: refs=" + after);
        }
    }

    /** A response that referenced this item has been written (or failed): its reference goes. */
    @Override
    public void operationComplete(ChannelFuture future) {
        release();
    }

    /** {@return the references held now, for tests} */
    int refs() {
        return (int) REFS.getVolatile(this);
    }
}
