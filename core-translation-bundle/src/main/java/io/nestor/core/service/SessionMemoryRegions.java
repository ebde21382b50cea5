package io.nestor.core.service;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.session.MemoryRegionInfo;
import io.nestor.api.session.MemoryRegions;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.session.MemoryRegion;
import io.nestor.core.session.PhysicalRun;
import io.nestor.core.session.PinnedRange;
import io.nestor.core.session.RegionTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The memory regions of one session: a {@link RegionTable} (which the session's iommufd contexts pin
 * from) over host memory placed by {@link HostRegions}, and the session's own virtual addresses.
 *
 * <p>Invariants: every region in the table has an entry in {@link #backings} and a session virtual
 * range from {@link #addresses}; a region is created in full or not at all (host range, file,
 * address and table entry are rolled back on failure); reads and writes pin the range, so a region
 * cannot be destroyed under them.
 */
final class SessionMemoryRegions implements MemoryRegions {
    private static final long PAGE = SparsePhysicalMemory.PAGE_SIZE;
    static final int RELEASE_RETRIES = 100;

    private final CoreSession session;
    private final HostRegions host;
    private final RegionTable table = new RegionTable(PAGE);
    private final RangeAllocator addresses = new RangeAllocator("session virtual", HostMemoryLayout.USER_VA_BASE,
            HostMemoryLayout.USER_VA_END - HostMemoryLayout.USER_VA_BASE);
    private final Map<Integer, HostBacking> backings = new ConcurrentHashMap<>();

    SessionMemoryRegions(CoreSession session, HostRegions host) {
        this.session = session;
        this.host = host;
    }

    /** The table the session's iommufd contexts pin from. */
    RegionTable table() {
        return table;
    }

    @Override
    public MemoryRegionInfo create(long size, String fileName) {
        String name = fileName == null ? "" : fileName;
        if (size <= 0 || (size & (PAGE - 1)) != 0) {
            throw IommuException.of(Errno.EINVAL, "region size 0x%x is not a positive multiple of 0x%x", size, PAGE);
        }
        if (!name.isEmpty()) {
            HostRegions.checkFileName(name);
        }
        return session.createCounted(size, () -> {
            HostBacking backing = host.place(size, name);
            long va;
            try {
                va = addresses.allocate(size);
            } catch (IommuException e) {
                host.release(backing);
                throw e;
            }
            MemoryRegion region;
            try {
                region = table.createRegion(va, size, backing.base(), true);
            } catch (IommuException e) {
                addresses.free(va);
                host.release(backing);
                throw e;
            }
            backings.put(region.id(), backing);
            return info(region);
        });
    }

    @Override
    public byte[] read(long userVa, int length) {
        session.checkOpen();
        if (length < 0) {
            throw IommuException.of(Errno.EINVAL, "read length %d is negative", length);
        }
        if (length == 0) {
            return new byte[0];
        }
        // pinned first: a range outside the session's memory fails before length bytes are allocated
        PinnedRange pin = table.pinVirtual(userVa, length, false);
        try {
            byte[] data = new byte[length];
            for (PhysicalRun run : pin.runs()) {
                host.memory().read(run.hostPhysical(), data, (int) run.offset(), (int) run.length());
            }
            return data;
        } finally {
            pin.release();
        }
    }

    @Override
    public void write(long userVa, byte[] data) {
        session.checkOpen();
        if (data.length == 0) {
            return;
        }
        PinnedRange pin = table.pinVirtual(userVa, data.length, true);
        try {
            for (PhysicalRun run : pin.runs()) {
                host.memory().write(run.hostPhysical(), data, (int) run.offset(), (int) run.length());
            }
        } finally {
            pin.release();
        }
    }

    @Override
    public void destroy(int regionId) {
        session.checkOpen();
        // ENOENT, or EBUSY while an IOAS maps it: nothing changes then
        giveBack(table.destroyRegion(regionId));
    }

    private void giveBack(MemoryRegion region) {
        HostBacking backing = backings.remove(region.id());
        addresses.free(region.va());
        host.release(backing);
    }

    @Override
    public List<MemoryRegionInfo> list() {
        session.checkOpen();
        List<MemoryRegionInfo> out = new ArrayList<>();
        for (MemoryRegion r : table.regions()) {
            out.add(info(r));
        }
        return out;
    }

    private MemoryRegionInfo info(MemoryRegion r) {
        HostBacking backing = backings.get(r.id());
        String path = backing == null || backing.file() == null ? "" : backing.file().toString();
        return new MemoryRegionInfo(r.id(), r.size(), r.va(), r.hostPhysical(), path, table.pinCount(r.id()));
    }

    int count() {
        return backings.size();
    }

    long bytes() {
        long total = 0;
        for (HostBacking b : backings.values()) {
            total += b.size();
        }
        return total;
    }

    /**
     * Destroys every region; called after the session's contexts are closed, so the only pins left
     * are those of reads and writes that passed the open check just before the release. Those are
     * short, so a busy region is retried for up to {@link #RELEASE_RETRIES} rounds 10 ms apart; one
     * still pinned after that (a leak elsewhere) is logged and kept.
     */
    void destroyAll() {
        List<MemoryRegion> left = table.regions();
        for (int round = 0; !left.isEmpty(); round++) {
            List<MemoryRegion> busy = new ArrayList<>();
            for (MemoryRegion r : left) {
                try {
                    table.destroyRegion(r.id());
                    giveBack(r);
                } catch (IommuException e) {
                    if (e.errno() != Errno.EBUSY) {
                        throw e;
                    }
                    busy.add(r);
                }
            }
            left = busy;
            if (left.isEmpty()) {
                return;
            }
            if (round == RELEASE_RETRIES) {
                System.getLogger(SessionMemoryRegions.class.getName()).log(System.Logger.Level.ERROR,
                        "session " + session.id() + ": regions " + left + " still pinned; not released");
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
