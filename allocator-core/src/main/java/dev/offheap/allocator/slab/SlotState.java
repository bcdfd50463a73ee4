package dev.offheap.allocator.slab;

import dev.offheap.allocator.Handles;

/**
 * Layout of a slot's state word: the one {@code int} per slot that says whether the slot holds a
 * block and in which generation. It lives off the Java heap, in the page's slot table (see
 * {@link SlotTable}).
 *
 * <pre>
 *  31                                   8 7        2 1   0
 * +--------------------------------------+----------+-----+
 * |              generation              |  unused  |state|
 * +--------------------------------------+----------+-----+
 *                 24 bits                              2 bits
 * </pre>
 * <ul>
 *   <li>{@link #FREE}: on one of the owner's free lists (or not yet handed out); the generation is
 *       the one the next block here gets.</li>
 *   <li>{@link #LIVE}: handed out; the generation is the live block's, the one in its handle.</li>
 *   <li>{@link #REMOTE}: freed by a thread that does not own the page and not yet taken back by the
 *       owner; the generation is the freed block's (so the next is one more).</li>
 *   <li>{@link #RETIRED}: the block freed here had generation {@link Handles#MAX_GENERATION}; the
 *       slot is never handed out again (the rule in {@link Handles}).</li>
 * </ul>
 * Transitions: FREE → LIVE (owner, allocate); LIVE → FREE or RETIRED (owner, free: a release store,
 * no CAS); LIVE → REMOTE (other thread, free: CAS, so of two remote frees one wins); REMOTE → FREE
 * or RETIRED (owner, drain). A LIVE value names one (slot, generation) pair once in the page's
 * history, so a REMOTE value does too: that is what lets the owner's drain tell a remote free that
 * lost a race with the owner's own free (see {@link ThreadCache}).
 *
 * <p>Thread-safety: constants and pure functions.
 */
final class SlotState {
    static final int FREE = 0;
    static final int LIVE = 1;
    static final int REMOTE = 2;
    static final int RETIRED = 3;
    static final int STATE_MASK = 0b11;
    static final int GENERATION_SHIFT = 8;

    private SlotState() {
    }

    static int of(int generation, int state) {
        return (generation << GENERATION_SHIFT) | state;
    }

    static int generation(int word) {
        return word >>> GENERATION_SHIFT;
    }

    static int state(int word) {
        return word & STATE_MASK;
    }

    /** {@return the word a live block of {@code handle}'s generation has} */
    static int liveOf(long handle) {
        return (Handles.generation(handle) << GENERATION_SHIFT) | LIVE;
    }

    /** {@return the word after the block of {@code generation} is freed by its owner: FREE or RETIRED} */
    static int freedOf(int generation) {
        int next = Handles.nextGeneration(generation);
        return next == Handles.RETIRED ? of(generation, RETIRED) : of(next, FREE);
    }

    /** {@return the highest generation a handle of this slot can have had: for a page's high-water and for {@code HandleCheck.reject}} */
    static int highestIssued(int word) {
        return switch (state(word)) {
            case LIVE, REMOTE, RETIRED -> generation(word);
            default -> generation(word) - 1;
        };
    }
}
