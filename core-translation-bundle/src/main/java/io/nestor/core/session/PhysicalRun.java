package io.nestor.core.session;

/**
 * A physically contiguous piece of a pinned range.
 *
 * @param offset byte offset of the piece from the start of the pinned range
 * @param hostPhysical host physical address of the piece's first byte
 * @param length bytes in the piece
 */
public record PhysicalRun(long offset, long hostPhysical, long length) {
}
