package io.nestor.driver.vtd.hw;

/**
 * MMIO offsets of the VT-d remapping-unit registers (VT-d spec chapter 11, mirrored by
 * {@code DMAR_*_REG} in Linux {@code drivers/iommu/intel/iommu.h}), plus where this implementation
 * places the two blocks the specification lets an implementation position freely.
 *
 * <p>Invariant: every offset here lies inside {@link #REGISTER_FILE_SIZE}, and the IOTLB and
 * fault-recording blocks overlap neither each other nor an architected register (ECMD at 0x400,
 * performance monitoring at 0x300, MTRRs up to 0x218).
 */
public final class VtdRegisterOffsets {

    /** The unit's register space: 128 KiB (the DRHD Size field allows more than 4 KiB since spec 4.0). */
    public static final int REGISTER_FILE_SIZE = 128 * 1024;

    public static final int VER = 0x00;
    public static final int CAP = 0x08;
    public static final int ECAP = 0x10;
    public static final int GCMD = 0x18;
    public static final int GSTS = 0x1C;
    public static final int RTADDR = 0x20;
    public static final int CCMD = 0x28;
    public static final int FSTS = 0x34;
    public static final int FECTL = 0x38;
    public static final int FEDATA = 0x3C;
    public static final int FEADDR = 0x40;
    public static final int FEUADDR = 0x44;
    public static final int AFLOG = 0x58;
    public static final int PMEN = 0x64;
    public static final int PLMBASE = 0x68;
    public static final int PLMLIMIT = 0x6C;
    public static final int PHMBASE = 0x70;
    public static final int PHMLIMIT = 0x78;
    public static final int IQH = 0x80;
    public static final int IQT = 0x88;
    public static final int IQA = 0x90;
    public static final int ICS = 0x9C;
    public static final int IECTL = 0xA0;
    public static final int IEDATA = 0xA4;
    public static final int IEADDR = 0xA8;
    public static final int IEUADDR = 0xAC;
    public static final int IQERCD = 0xB0;
    public static final int IRTA = 0xB8;
    public static final int PQH = 0xC0;
    public static final int PQT = 0xC8;
    public static final int PQA = 0xD0;
    public static final int PRS = 0xDC;
    public static final int PECTL = 0xE0;
    public static final int PEDATA = 0xE4;
    public static final int PEADDR = 0xE8;
    public static final int PEUADDR = 0xEC;

    /**
     * The IOTLB block (IVA, then IOTLB at +8). ECAP.IRO holds it divided by 16. Real server parts
     * place it at 0x500; QEMU uses 0xF0.
     */
    public static final int IOTLB_BLOCK = 0x500;
    public static final int IVA = IOTLB_BLOCK;
    public static final int IOTLB = IOTLB_BLOCK + 8;

    /** The fault-recording registers, 16 bytes each. CAP.FRO holds the offset divided by 16. */
    public static final int FAULT_RECORDS = 0x600;
    /** Number of fault-recording registers; CAP.NFR holds this minus one. */
    public static final int FAULT_RECORD_COUNT = 8;
    public static final int FAULT_RECORD_SIZE = 16;

    /**
     * Start of the hardware-internal latches: state the silicon keeps in flip-flops that software
     * cannot address, stored here because the driver keeps no state. No architected register lies
     * this high (the register file is 128 KiB); {@link VtdMmio} ignores software writes here.
     */
    public static final int INTERNAL_LATCHES = 0x1F000;
    /** The root-table address (with TTM) latched by the last GCMD.SRTP; what the walk uses. */
    public static final int LATCHED_ROOT_TABLE = INTERNAL_LATCHES;
    /** Index of the fault-recording register the next primary fault is written to (32 bits). */
    public static final int NEXT_FAULT_RECORD = INTERNAL_LATCHES + 8;
    /** End (exclusive) of the internal latches. */
    public static final int INTERNAL_LATCHES_END = INTERNAL_LATCHES + 16;

    private VtdRegisterOffsets() {
    }
}
