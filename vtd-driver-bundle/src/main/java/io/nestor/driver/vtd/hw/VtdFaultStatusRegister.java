package io.nestor.driver.vtd.hw;

/**
 * FSTS_REG (offset 0x34, 32 bits): the fault status of the unit (VT-d spec 11.4.7.1; Linux
 * {@code DMA_FSTS_*} in {@code drivers/iommu/intel/iommu.h}; Nestor {@code hw-formats.md} 1.8).
 *
 * <p>PFO, AFO, APF, IQE, ICE and ITE are write-1-to-clear; PPF is read-only, the OR of the F bits
 * of all fault-recording registers; FRI (bits 15:8) is read-only, the index of the first record
 * written while PPF was clear. Any of PPF, PFO and IQE being set keeps the fault event pending
 * (FECTL.IP) once raised.
 */
public final class VtdFaultStatusRegister {

    /** Primary fault overflow. */
    public static final int PFO = 1;
    /** Primary pending fault. */
    public static final int PPF = 1 << 1;
    /** Advanced fault overflow (advanced fault logging is not implemented: stays 0). */
    public static final int AFO = 1 << 2;
    /** Advanced pending fault (stays 0). */
    public static final int APF = 1 << 3;
    /** Invalidation queue error. */
    public static final int IQE = 1 << 4;
    /** Invalidation completion error (device-TLB completions are not timed: stays 0). */
    public static final int ICE = 1 << 5;
    /** Invalidation time-out error (stays 0). */
    public static final int ITE = 1 << 6;
    /** Fault record index, bits 15:8. */
    public static final int FRI_SHIFT = 8;
    public static final int FRI_MASK = 0xFF << FRI_SHIFT;

    /** The bits software clears by writing 1. */
    public static final int WRITE_ONE_TO_CLEAR = PFO | AFO | APF | IQE | ICE | ITE;
    /** The conditions that hold the primary fault event pending. */
    public static final int EVENT_CONDITIONS = PPF | PFO | IQE;

    private VtdFaultStatusRegister() {
    }
}
