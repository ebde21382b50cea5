/**
 * The memory a client session offers for DMA: regions of guest RAM, each at a session virtual
 * address (what {@code IOMMU_IOAS_MAP} takes as {@code user_va}) over a host physical range, and
 * the pins that keep a region alive while an IOAS maps it.
 *
 * <p>Internal to the core bundle; not exported.
 */
package io.nestor.core.session;
