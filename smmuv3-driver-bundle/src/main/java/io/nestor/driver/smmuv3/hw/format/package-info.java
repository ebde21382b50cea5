/**
 * VMSAv8-64 translation-table formats for the SMMUv3 hardware half: stage-1 (context descriptor)
 * and stage-2 (stream table entry) walk geometry and descriptor decode / encode, as
 * {@link io.nestor.api.pagetable.PageTableFormat} implementations. Private to the driver bundle
 * (not exported); 48-bit input and output addresses only (no LVA / LPA / LPA2 / TTST).
 */
package io.nestor.driver.smmuv3.hw.format;
