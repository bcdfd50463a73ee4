package dev.offheap.examples.memcached;

/** The storage commands, each followed by a data block on the wire. */
enum StorageCommand {
    SET, ADD, REPLACE, APPEND, PREPEND, CAS
}
