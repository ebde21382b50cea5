/**
 * The translation path of the core (DESIGN.md, "The translation path"): the
 * {@link io.nestor.core.translate.TranslationEngine} answers a device's DMA request from the IOTLB,
 * or decodes (or finds cached) the device's configuration, walks stage 1 over stage 2 from the
 * deepest cached tables, and fills the caches or reports a fault.
 *
 * <p>Internal to the core bundle; not exported.
 */
package io.nestor.core.translate;
