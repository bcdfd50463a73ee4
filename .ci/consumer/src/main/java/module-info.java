/** The consumer as a named module: on the module path it reads the library's module by name. */
module dev.offheap.consumer {
    requires dev.offheap.allocator;
}
