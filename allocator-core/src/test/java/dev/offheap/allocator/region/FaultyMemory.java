package dev.offheap.allocator.region;

import dev.offheap.allocator.NativeCallException;
import dev.offheap.allocator.os.VirtualMemory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * TEST ONLY: the real kernel calls behind {@link VirtualMemory}, with any of them made to fail on
 * demand as the kernel would (a {@link NativeCallException} with an errno, nothing done), and a
 * ledger of what the kernel really holds — reservations not yet unmapped and bytes committed —
 * so a test can compare the region's counters with the truth.
 *
 * <p>Thread-safety: thread-safe; the switches and the ledger are atomics.
 */
final class FaultyMemory implements VirtualMemory {
    /** The calls a fault can be injected into. */
    enum Call {
        RESERVE("mmap", "ENOMEM", 12),
        COMMIT("mprotect", "ENOMEM", 12),
        POPULATE("madvise(MADV_POPULATE_WRITE)", "EFAULT", 14),
        DECOMMIT("madvise(MADV_DONTNEED)", "EAGAIN", 11),
        PURGE("madvise(MADV_DONTNEED)", "EINVAL", 22),
        HUGE_PAGES("madvise(MADV_HUGEPAGE)", "ENOMEM", 12),
        RELEASE("munmap", "EINVAL", 22);

        final String syscall;
        final String errnoName;
        final int errno;

        Call(String syscall, String errnoName, int errno) {
            this.syscall = syscall;
            this.errnoName = errnoName;
            this.errno = errno;
        }
    }

    private final VirtualMemory real = VirtualMemory.system();
    /** Per call: how many of the next calls fail; a negative count fails every call until cleared. */
    private final Map<Call, AtomicLong> failures = new EnumMap<>(Call.class);
    private final Map<Call, AtomicLong> skips = new EnumMap<>(Call.class);
    private final Map<Call, AtomicLong> injected = new EnumMap<>(Call.class);
    final AtomicLong reservations = new AtomicLong();
    final AtomicLong committedBytes = new AtomicLong();
    /** The most bytes the kernel ever held committed at once through this wrapper. */
    final AtomicLong peakCommittedBytes = new AtomicLong();
    /** Every pre-fault that reached the kernel, in order: {@code "in place@THREAD"} or {@code "writing@THREAD"}. */
    final List<String> prefaults = Collections.synchronizedList(new ArrayList<>());
    /** Bytes pre-faulted, by the entries of {@link #prefaults}. */
    private final Map<String, AtomicLong> prefaultedBytes = new java.util.concurrent.ConcurrentHashMap<>();
    /** In-place pre-faults the real kernel refused (not injected ones). */
    final AtomicLong kernelRefusedPrefaults = new AtomicLong();
    /** In-place pre-faults waiting at the gate now. */
    final AtomicInteger atGate = new AtomicInteger();
    /** While set, an in-place pre-fault waits for it before it reaches the kernel. */
    private volatile CountDownLatch gate;
    /** Acts as a kernel older than 5.14: no in-place pre-fault. */
    volatile boolean noInPlacePrefault;

    FaultyMemory() {
        for (Call c : Call.values()) {
            failures.put(c, new AtomicLong());
            injected.put(c, new AtomicLong());
            skips.put(c, new AtomicLong());
        }
    }

    /** Makes the next {@code times} calls of {@code call} fail. */
    FaultyMemory failNext(Call call, long times) {
        failures.get(call).set(times);
        return this;
    }

    /** Lets the next {@code passes} calls of {@code call} through, then fails the one after. */
    FaultyMemory failAfter(Call call, long passes) {
        skips.get(call).set(passes);
        failures.get(call).set(1);
        return this;
    }

    /** Makes every call of {@code call} fail until {@link #heal}. */
    FaultyMemory failAlways(Call call) {
        failures.get(call).set(-1);
        return this;
    }

    /** Lets every call through again. */
    FaultyMemory heal() {
        failures.values().forEach(f -> f.set(0));
        skips.values().forEach(f -> f.set(0));
        return this;
    }

    /** {@return how many faults were injected into {@code call}} */
    long injected(Call call) {
        return injected.get(call).get();
    }

    private void maybeFail(Call call, long address, long byteSize) {
        AtomicLong skip = skips.get(call);
        for (long k = skip.get(); k > 0; k = skip.get()) {
            if (skip.compareAndSet(k, k - 1)) {
                return;
            }
        }
        AtomicLong left = failures.get(call);
        long n = left.get();
        if (n < 0 || (n > 0 && left.compareAndSet(n, n - 1))) {
            injected.get(call).incrementAndGet();
            throw new NativeCallException(call.syscall + "(addr=0x" + Long.toHexString(address) + ", len=" + byteSize
                    + ") [injected]", call.errno, call.errnoName, "injected fault");
        }
    }

    @Override
    public long pageSize() {
        return real.pageSize();
    }

    @Override
    public long reserve(long byteSize) {
        maybeFail(Call.RESERVE, 0, byteSize);
        long address = real.reserve(byteSize);
        reservations.incrementAndGet();
        return address;
    }

    @Override
    public void commit(long address, long byteSize) {
        maybeFail(Call.COMMIT, address, byteSize);
        real.commit(address, byteSize);
        peakCommittedBytes.accumulateAndGet(committedBytes.addAndGet(byteSize), Math::max);
    }

    private void recordPrefault(String entry, long byteSize) {
        prefaultedBytes.computeIfAbsent(entry, e -> new AtomicLong()).addAndGet(byteSize);
        prefaults.add(entry);
    }

    /** {@return the bytes pre-faulted as {@code entry} says: {@code "in place@THREAD"} or {@code "writing@THREAD"}} */
    long prefaulted(String entry) {
        AtomicLong bytes = prefaultedBytes.get(entry);
        return bytes == null ? 0 : bytes.get();
    }

    /** Holds every in-place pre-fault from now on until the returned latch is counted down. */
    CountDownLatch holdPrefaults() {
        CountDownLatch latch = new CountDownLatch(1);
        gate = latch;
        return latch;
    }

    @Override
    public void populate(long address, long byteSize) {
        maybeFail(Call.POPULATE, address, byteSize);
        real.populate(address, byteSize);
        recordPrefault("writing@" + Thread.currentThread().getName(), byteSize);
    }

    /** The same fault switch as {@link #populate}: both are the one {@code madvise}. */
    @Override
    public boolean populateInPlace(long address, long byteSize) {
        if (noInPlacePrefault) {
            return false;
        }
        maybeFail(Call.POPULATE, address, byteSize);
        CountDownLatch held = gate;
        if (held != null) {
            atGate.incrementAndGet();
            try {
                held.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                atGate.decrementAndGet();
            }
        }
        boolean done;
        try {
            done = real.populateInPlace(address, byteSize);
        } catch (NativeCallException e) {
            kernelRefusedPrefaults.incrementAndGet();
            throw e;
        }
        recordPrefault("in place@" + Thread.currentThread().getName(), byteSize);
        return done;
    }

    @Override
    public void decommit(long address, long byteSize) {
        maybeFail(Call.DECOMMIT, address, byteSize);
        real.decommit(address, byteSize);
        committedBytes.addAndGet(-byteSize);
    }

    @Override
    public void purge(long address, long byteSize) {
        maybeFail(Call.PURGE, address, byteSize);
        real.purge(address, byteSize);
    }

    @Override
    public boolean adviseHugePages(long address, long byteSize) {
        maybeFail(Call.HUGE_PAGES, address, byteSize);
        return real.adviseHugePages(address, byteSize);
    }

    @Override
    public void warmUp(long address) {
        real.warmUp(address);
    }

    @Override
    public void release(long address, long byteSize) {
        maybeFail(Call.RELEASE, address, byteSize);
        real.release(address, byteSize);
        reservations.decrementAndGet();
        committedBytes.set(0); // unmapping drops every committed page of the (one) reservation
    }
}
