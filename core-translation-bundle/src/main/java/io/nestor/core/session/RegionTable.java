package io.nestor.core.session;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The regions of one session's memory, by session virtual address, with a pin count per region.
 *
 * <p>Invariants: regions never overlap in session virtual addresses; a region with a non-zero pin
 * count is never removed ({@link #destroyRegion} answers EBUSY). Region ids count up from 1 and are
 * not reused, so a stale handle never names a newer region.
 *
 * <p>Thread-safe: every method synchronises on the table. Pins are short critical sections; the
 * physical runs they return are immutable.
 */
public final class RegionTable implements SessionMemory {
    private final long pageSize;
    private final TreeMap<Long, MemoryRegion> byVa = new TreeMap<>(Long::compareUnsigned);
    private final Map<Integer, MemoryRegion> byId = new HashMap<>();
    private final Map<Integer, Long> pins = new HashMap<>();
    private int nextId = 1;

    /**
     * @param pageSize the host page size regions are aligned to (a power of two, at least 4 KiB)
     */
    public RegionTable(long pageSize) {
        if (pageSize < 4096 || Long.bitCount(pageSize) != 1) {
            throw IommuException.of(Errno.EINVAL, "page size 0x%x is not a power of two of at least 4 KiB",
                    pageSize);
        }
        this.pageSize = pageSize;
    }

    /**
     * Adds a region.
     *
     * @throws IommuException EINVAL for an empty or unaligned region or one wrapping the address
     *     space, EEXIST when it overlaps a region already present
     */
    public synchronized MemoryRegion createRegion(long va, long size, long hostPhysical, boolean writable) {
        if (size == 0 || ((va | size | hostPhysical) & (pageSize - 1)) != 0) {
            throw IommuException.of(Errno.EINVAL, "region va 0x%x size 0x%x pa 0x%x: not a non-empty multiple "
                    + "of the page size 0x%x", va, size, hostPhysical, pageSize);
        }
        long last = va + size - 1;
        if (Long.compareUnsigned(last, va) < 0 || hostPhysical < 0 || hostPhysical + size - 1 < hostPhysical) {
            throw IommuException.of(Errno.EINVAL, "region va 0x%x size 0x%x wraps around", va, size);
        }
        Map.Entry<Long, MemoryRegion> below = byVa.floorEntry(last);
        if (below != null && Long.compareUnsigned(below.getValue().lastVa(), va) >= 0) {
            throw IommuException.of(Errno.EEXIST, "region va [0x%x, 0x%x] overlaps region %d at 0x%x", va, last,
                    below.getValue().id(), below.getValue().va());
        }
        MemoryRegion region = new MemoryRegion(nextId++, va, size, hostPhysical, writable);
        byVa.put(va, region);
        byId.put(region.id(), region);
        return region;
    }

    /**
     * Removes a region.
     *
     * @return the region removed
     * @throws IommuException ENOENT for an unknown id, EBUSY while any pin covers it
     */
    public synchronized MemoryRegion destroyRegion(int id) {
        MemoryRegion region = byId.get(id);
        if (region == null) {
            throw IommuException.of(Errno.ENOENT, "no memory region %d", Integer.toUnsignedLong(id));
        }
        long count = pins.getOrDefault(id, 0L);
        if (count != 0) {
            throw IommuException.of(Errno.EBUSY, "memory region %d is pinned %d times", id, count);
        }
        byId.remove(id);
        byVa.remove(region.va());
        return region;
    }

    /** Pins currently held on region {@code id} (0 for an unknown id). */
    public synchronized long pinCount(int id) {
        return pins.getOrDefault(id, 0L);
    }

    /** Pins held on all regions together. */
    public synchronized long totalPins() {
        long total = 0;
        for (long c : pins.values()) {
            total += c;
        }
        return total;
    }

    public synchronized List<MemoryRegion> regions() {
        return List.copyOf(byVa.values());
    }

    @Override
    public synchronized boolean hasRegion(int regionId) {
        return byId.containsKey(regionId);
    }

    @Override
    public synchronized PinnedRange pinVirtual(long va, long length, boolean write) {
        if (length == 0 || Long.compareUnsigned(va + length - 1, va) < 0) {
            throw IommuException.of(Errno.EFAULT, "user va 0x%x length 0x%x is not a range", va, length);
        }
        List<MemoryRegion> covering = new ArrayList<>();
        List<PhysicalRun> runs = new ArrayList<>();
        long cursor = va;
        long done = 0;
        while (Long.compareUnsigned(done, length) < 0) {
            Map.Entry<Long, MemoryRegion> e = byVa.floorEntry(cursor);
            if (e == null || !e.getValue().containsVa(cursor)) {
                throw IommuException.of(Errno.EFAULT, "user va 0x%x is not session memory", cursor);
            }
            MemoryRegion r = e.getValue();
            if (write && !r.writable()) {
                throw IommuException.of(Errno.EFAULT, "user va 0x%x lies in read-only region %d", cursor, r.id());
            }
            long inRegion = cursor - r.va();
            long piece = r.size() - inRegion;
            if (Long.compareUnsigned(piece, length - done) > 0) {
                piece = length - done;
            }
            runs.add(new PhysicalRun(done, r.hostPhysical() + inRegion, piece));
            covering.add(r);
            done += piece;
            cursor += piece;
        }
        return pin(covering, runs, length);
    }

    @Override
    public synchronized PinnedRange pinRegion(int regionId, long offset, long length, boolean write) {
        MemoryRegion r = byId.get(regionId);
        if (r == null) {
            throw IommuException.of(Errno.EBADF, "no memory region %d", regionId);
        }
        if (length == 0 || Long.compareUnsigned(offset, r.size()) >= 0
                || Long.compareUnsigned(length, r.size() - offset) > 0) {
            throw IommuException.of(Errno.EINVAL, "offset 0x%x length 0x%x lies beyond the 0x%x bytes of region %d",
                    offset, length, r.size(), regionId);
        }
        if (write && !r.writable()) {
            throw IommuException.of(Errno.EPERM, "region %d is read-only", regionId);
        }
        return pin(List.of(r), List.of(new PhysicalRun(0, r.hostPhysical() + offset, length)), length);
    }

    private PinnedRange pin(List<MemoryRegion> covering, List<PhysicalRun> runs, long length) {
        for (MemoryRegion r : covering) {
            pins.merge(r.id(), 1L, Long::sum);
        }
        return new Pin(covering, Collections.unmodifiableList(runs), length);
    }

    private synchronized void unpin(List<MemoryRegion> covering) {
        for (MemoryRegion r : covering) {
            long left = pins.merge(r.id(), -1L, Long::sum);
            if (left == 0) {
                pins.remove(r.id());
            }
        }
    }

    private final class Pin implements PinnedRange {
        private final List<MemoryRegion> covering;
        private final List<PhysicalRun> runs;
        private final long length;
        private boolean released;

        Pin(List<MemoryRegion> covering, List<PhysicalRun> runs, long length) {
            this.covering = covering;
            this.runs = runs;
            this.length = length;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public List<PhysicalRun> runs() {
            return runs;
        }

        @Override
        public void release() {
            synchronized (this) {
                if (released) {
                    throw new IllegalStateException("pin released twice");
                }
                released = true;
            }
            unpin(covering);
        }
    }
}
