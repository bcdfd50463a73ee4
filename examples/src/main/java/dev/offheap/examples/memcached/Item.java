package dev.offheap.examples.memcached;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;

import java.lang.foreign.MemorySegment;

/**
 * One reference to a stored item, held by a command in progress: the item's handle and the header
 * fields that never change once it is written ({@link ItemLayout}). The item itself is its
 * off-heap block; this object lives only as long as the command or the response that holds the
 * reference, so the store keeps no Java object per item.
 *
 * <p>Reference counted (the count is in the block's header), so a block is never freed while a
 * response still points into it: the store holds one reference while the item is linked, and
 * every response that sends the value without a copy holds one until Netty has written it
 * ({@link #operationComplete} is the write's listener). The block is freed on the last release,
 * on whichever thread that is, and exactly once. Each {@code Item} object stands for exactly one
 * reference: release it once.
 *
 * <p>Thread-safety: the fields are final; the count is atomic.
 */
final class Item implements ChannelFutureListener {
    final ItemStore store;
    final long handle;
    final int keyLength;
    final int valueLength;
    final int flags;
    final int hash;
    /** The cas unique when the reference was taken (0 for an item not linked yet). */
    final long cas;

    /** A reference to the item in {@code handle}'s block, whose header is written. */
    Item(ItemStore store, long handle, MemorySegment block) {
        this.store = store;
        this.handle = handle;
        this.keyLength = ItemLayout.keyLength(block);
        this.valueLength = ItemLayout.valueLength(block);
        this.flags = ItemLayout.flags(block);
        this.hash = ItemLayout.hash(block);
        this.cas = ItemLayout.cas(block);
    }

    /** {@return the whole block: header, key, value, trailer} Valid while the reference is held. */
    MemorySegment block() {
        return raw().asSlice(0, ItemLayout.blockBytes(keyLength, valueLength));
    }

    /**
     * {@return the block as the allocator bounds it (at least {@link #block()}'s bytes)} One object,
     * for the paths that run on every command. Valid while the reference is held.
     */
    MemorySegment raw() {
        return store.memory().segment(handle); // checked each time: a use after release throws
    }

    /** {@return the key} Valid while the reference is held. */
    MemorySegment key() {
        return raw().asSlice(ItemLayout.KEY_OFFSET, keyLength);
    }

    /** {@return the value followed by its {@code \r\n}} Valid while the reference is held. */
    MemorySegment valueWithTrailer() {
        return raw().asSlice(ItemLayout.valueOffset(keyLength), valueLength + ItemLayout.TRAILER_BYTES);
    }

    /** Gives this reference back; the last one frees the block. */
    void release() {
        store.release(handle);
    }

    /** A response that referenced this item has been written (or failed): its reference goes. */
    @Override
    public void operationComplete(ChannelFuture future) {
        release();
    }
}
