/**
 * Format-independent conformance scenarios of the core, written once against the
 * {@link io.nestor.api.pagetable.PageTableFormat} SPI and run both by the core's own tests (on its
 * test format) and by the {@code format-conformance} module (on the real VT-d and SMMUv3 formats),
 * which reaches them through this module's test-jar. Test code only: never part of the bundle.
 */
package io.nestor.core.conformance;
