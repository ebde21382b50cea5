package io.nestor.api.session;

/**
 * One memory region of a session, as it was when read.
 *
 * @param regionId the session's handle for the region
 * @param size bytes
 * @param userVa the session virtual address of the first byte
 * @param hostPhysicalBase the host physical address of the first byte (the range is contiguous)
 * @param filePath the backing file's absolute path; empty for anonymous memory
 * @param pins how many IOAS mappings hold the region now; it cannot be destroyed while non-zero
 */
public record MemoryRegionInfo(int regionId, long size, long userVa, long hostPhysicalBase, String filePath,
        long pins) {
}
