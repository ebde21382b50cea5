package io.nestor.core.ioasid;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.ioasid.IoasidAllocator;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * A custom allocator standing in for an outer host (the VT-d virtual command interface): it hands
 * out the highest free PASID of the range — the opposite end from the default allocator, so tests
 * can tell who chose — keeps its own account and records every call.
 */
final class HostAllocator implements IoasidAllocator {
    private final int max;
    private final BitSet handedOut = new BitSet();
    final List<String> calls = new ArrayList<>();

    HostAllocator(int max) {
        this.max = max;
    }

    /** Marks PASIDs as handed out elsewhere, as a host would for other guests. */
    synchronized HostAllocator taken(int... pasids) {
        for (int p : pasids) {
            handedOut.set(p);
        }
        return this;
    }

    @Override
    public synchronized int alloc(int min, int max, String contextTag) {
        calls.add("alloc " + min + ".." + max + " " + contextTag);
        for (int p = Math.min(max, this.max); p >= min; p--) {
            if (!handedOut.get(p)) {
                handedOut.set(p);
                return p;
            }
        }
        throw IommuException.of(Errno.ENOSPC, "host has no PASID in [%d, %d]", min, max);
    }

    @Override
    public synchronized void free(int pasid, String contextTag) {
        calls.add("free " + pasid + " " + contextTag);
        handedOut.clear(pasid);
    }

    synchronized boolean holds(int pasid) {
        return handedOut.get(pasid);
    }

    @Override
    public String toString() {
        return "host-allocator@" + Integer.toHexString(System.identityHashCode(this));
    }
}
