package io.nestor.core.vfio;

/**
 * One mapping of a type1 container ({@code struct vfio_dma}): {@code size} bytes at {@code iova}
 * from session virtual address {@code vaddr}, with its {@code VFIO_DMA_MAP_FLAG_READ / _WRITE}
 * protection. Its pages are pinned and mapped into every domain of the container through the
 * container's IOAS, as one area of exactly this range.
 *
 * <p>Immutable: type1 never splits or resizes a mapping (v2 refuses the unmaps that would).
 */
record VfioDma(long iova, long size, long vaddr, int prot) {

    /** The last IOVA (inclusive). */
    long last() {
        return iova + size - 1;
    }

    boolean contains(long address) {
        return Long.compareUnsigned(address, iova) >= 0 && Long.compareUnsigned(address, last()) <= 0;
    }

    @Override
    public String toString() {
        return String.format("vfio_dma[iova 0x%x size 0x%x vaddr 0x%x]", iova, size, vaddr);
    }
}
