package io.nestor.api.translation;

/**
 * Vendor-neutral fault reasons. Drivers encode them as VT-d fault reason codes or SMMUv3 event
 * types; a configuration fault also carries the vendor's own code in {@link Fault#vendorReason()}.
 */
public enum FaultReason {
    /** No valid translation: a not-present / invalid descriptor. */
    TRANSLATION,
    /** A translation exists but does not grant the access. */
    PERMISSION,
    /** An input or output address is wider than the format or the configuration allows. */
    ADDRESS_SIZE,
    /** The access flag is clear and the hardware does not manage it. */
    ACCESS_FLAG,
    /** A table or configuration read hit memory that does not exist. */
    EXTERNAL_ABORT,
    /** The configuration itself is invalid or absent (see {@link Fault#vendorReason()}). */
    CONFIGURATION
}
