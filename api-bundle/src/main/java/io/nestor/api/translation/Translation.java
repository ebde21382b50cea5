package io.nestor.api.translation;

import io.nestor.api.pagetable.Permission;

/**
 * A successful translation of one request.
 *
 * @param outputAddress the host physical address of the requested byte
 * @param pageShift log2 of the size of the (smallest, in a nested walk) mapping that translated it
 * @param permissions the {@link Permission} bits granted, intersected over levels and stages
 */
public record Translation(long outputAddress, int pageShift, int permissions) {

    /** The host physical address where the translated page begins. */
    public long pageBase() {
        return outputAddress & -(1L << pageShift);
    }

    @Override
    public String toString() {
        return String.format("0x%x (page 2^%d, %s)", outputAddress, pageShift, Permission.toString(permissions));
    }
}
