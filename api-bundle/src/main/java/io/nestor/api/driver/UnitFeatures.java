package io.nestor.api.driver;

/**
 * The configured capabilities of one IOMMU unit, from the topology. Drivers derive their
 * identification registers from these with the specifications' bit positions (VT-d CAP / ECAP,
 * SMMUv3 IDR0–IDR5), so two units of one kind may differ.
 *
 * @param nesting nested (two-stage) translation: VT-d ECAP.NEST, SMMUv3 S1P and S2P together
 * @param pasidBits PASID / SubstreamID width, 0 for none (VT-d ECAP.PSS + 1, SMMU IDR1.SSIDSIZE)
 * @param inputAddressBits the widest input address: VT-d MGAW, SMMU stage-1 VA width
 * @param outputAddressBits the physical output address width: VT-d host address width, SMMU OAS
 * @param pageSizes supported page and block sizes as a bitmap (bit n set: 2^n bytes), which also
 *     selects the SMMU translation granules (4 KiB, 16 KiB, 64 KiB)
 * @param fiveLevelStage1 VT-d first-stage 5-level paging (CAP.FL5LP); SMMU 52-bit VA (IDR5.VAX)
 * @param pageRequests page requests: VT-d ECAP.PRS, SMMU IDR0.PRI
 * @param deviceTlb ATS / device-TLB: VT-d ECAP.DT, SMMU IDR0.ATS
 * @param dirtyTracking hardware dirty tracking: VT-d ECAP.SSADS, SMMU IDR0.HTTU = access + dirty
 * @param stall the SMMU stall model (stall and terminate); ignored by VT-d
 * @param domainIdBits domain ID / VMID width (VT-d CAP.ND, SMMU VMID16 / ASID16)
 * @param streamIdBits SMMU StreamID width (IDR1.SIDSIZE); ignored by VT-d (16-bit source-id)
 * @param cachingMode VT-d CAP.CM: not-present entries may be cached (a virtual IOMMU's mode)
 * @param hardwareMsiRegion the SMMU sits behind a hardware MSI window, which rules out nesting
 */
public record UnitFeatures(boolean nesting, int pasidBits, int inputAddressBits, int outputAddressBits,
        long pageSizes, boolean fiveLevelStage1, boolean pageRequests, boolean deviceTlb,
        boolean dirtyTracking, boolean stall, int domainIdBits, int streamIdBits, boolean cachingMode,
        boolean hardwareMsiRegion) {

    public static final long SIZE_4K = 1L << 12;
    public static final long SIZE_16K = 1L << 14;
    public static final long SIZE_64K = 1L << 16;
    public static final long SIZE_2M = 1L << 21;
    public static final long SIZE_32M = 1L << 25;
    public static final long SIZE_512M = 1L << 29;
    public static final long SIZE_1G = 1L << 30;

    public UnitFeatures {
        if (pasidBits < 0 || pasidBits > 20) {
            throw new IllegalArgumentException("pasidBits must be 0..20, got " + pasidBits);
        }
        if (inputAddressBits < 32 || inputAddressBits > 64) {
            throw new IllegalArgumentException("inputAddressBits must be 32..64, got " + inputAddressBits);
        }
        if (outputAddressBits < 32 || outputAddressBits > 52) {
            throw new IllegalArgumentException("outputAddressBits must be 32..52, got " + outputAddressBits);
        }
        if (pageSizes == 0) {
            throw new IllegalArgumentException("pageSizes must name at least one size");
        }
        if (domainIdBits < 1 || domainIdBits > 16) {
            throw new IllegalArgumentException("domainIdBits must be 1..16, got " + domainIdBits);
        }
        if (streamIdBits < 0 || streamIdBits > 32) {
            throw new IllegalArgumentException("streamIdBits must be 0..32, got " + streamIdBits);
        }
    }

    /** Whether {@code size} (a power of two) is among {@link #pageSizes()}. */
    public boolean supportsPageSize(long size) {
        return (pageSizes & size) != 0;
    }
}
