package io.nestor.api.session;

import io.nestor.api.error.IommuException;
import java.util.List;

/**
 * The memory regions of one session: guest RAM and other memory its devices reach by DMA. Each
 * region has a session virtual address (what {@code IOMMU_IOAS_MAP} takes as {@code user_va}) and a
 * host physical range; a file-backed region is a file a local VMM can map too.
 *
 * <p>Region ids are the session's own (the {@code fd} of {@code IOMMU_IOAS_MAP_FILE}); they count
 * up and are not reused.
 */
public interface MemoryRegions {

    /**
     * Creates a region.
     *
     * @param size bytes, a positive multiple of 4 KiB
     * @param fileName empty for anonymous memory; otherwise the name of a file the service creates
     *     in its region directory (no directory part)
     * @throws IommuException EINVAL for a bad size or file name; EEXIST when the file exists; ENOMEM
     *     beyond the session's memory quota or when host memory has no room; ENOSPC beyond its object
     *     quota; EIO when the file cannot be created
     */
    MemoryRegionInfo create(long size, String fileName);

    /**
     * Reads {@code length} bytes at session virtual address {@code userVa}.
     *
     * @throws IommuException EFAULT when part of the range is not in a region, EINVAL for a
     *     negative length
     */
    byte[] read(long userVa, int length);

    /**
     * Writes {@code data} at session virtual address {@code userVa}.
     *
     * @throws IommuException EFAULT when part of the range is not in a region (nothing is written)
     */
    void write(long userVa, byte[] data);

    /**
     * Destroys a region; its memory reads as zero for whoever gets the range next.
     *
     * @throws IommuException ENOENT for an id the session does not hold, EBUSY while an IOAS maps
     *     any part of it
     */
    void destroy(int regionId);

    /** The session's regions, by session virtual address. */
    List<MemoryRegionInfo> list();
}
