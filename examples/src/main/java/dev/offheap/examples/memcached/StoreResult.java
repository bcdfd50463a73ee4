package dev.offheap.examples.memcached;

/** What a storage command did, as memcached words it (or why it could not). */
enum StoreResult {
    STORED, NOT_STORED, EXISTS, NOT_FOUND, DELETED, TOUCHED, NON_NUMERIC, NO_MEMORY
}
