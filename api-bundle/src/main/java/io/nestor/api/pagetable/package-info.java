/**
 * The page-table format SPI: one small, final class per descriptor format (x86-64 first stage,
 * VT-d second stage, VMSAv8-64 stage 1 and stage 2 per granule), so that the core's single walker
 * and single builder work on all of them.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.nestor.api.pagetable;
