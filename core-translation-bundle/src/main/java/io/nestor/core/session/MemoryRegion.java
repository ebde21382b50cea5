package io.nestor.core.session;

/**
 * One region of session memory: {@code size} bytes seen by the session at virtual address
 * {@code va} and backed by host physical memory from {@code hostPhysical}, contiguously.
 *
 * <p>Immutable; the pin count lives in the {@link RegionTable} that owns the region.
 *
 * @param id the handle a client names the region by ({@code IOMMU_IOAS_MAP_FILE}'s {@code fd})
 * @param va session virtual address of the first byte
 * @param size length in bytes
 * @param hostPhysical host physical address of the first byte
 * @param writable whether DMA may write the region (a read-only mapping in the VMM otherwise)
 */
public record MemoryRegion(int id, long va, long size, long hostPhysical, boolean writable) {

    /** Whether {@code address} lies inside {@code [va, va + size)} (unsigned). */
    public boolean containsVa(long address) {
        return Long.compareUnsigned(address, va) >= 0 && Long.compareUnsigned(address - va, size) < 0;
    }

    /** The last session virtual address of the region (inclusive). */
    public long lastVa() {
        return va + size - 1;
    }
}
