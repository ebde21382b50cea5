package io.nestor.driver.vtd.host;

import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.vtd.hw.VtdGlobalStatusRegister;
import io.nestor.driver.vtd.hw.VtdMmio;
import io.nestor.driver.vtd.hw.VtdRegisterOffsets;
import java.util.List;
import java.util.concurrent.locks.Lock;

/**
 * Brings a unit up the way Linux {@code init_dmars()} / {@code intel_iommu_init()} do at boot, done
 * lazily on the first host-driver operation that needs it and idempotent: every step reads its
 * state back from the registers and is skipped when already done, so a replaced driver bundle finds
 * the unit as its predecessor left it.
 *
 * <p>Steps, in Linux's order:
 * <ol>
 *   <li>queued invalidation ({@code dmar_enable_qi}): four zeroed pages, the first two the queue of
 *       256 descriptors of 256 bits (IQA.DW=1, QS=1, as {@code __dmar_enable_qi} programs a scalable-mode
 *       unit), the third the wait-status slots ({@link VtdQueuedInvalidation}); IQT=0, IQA, then
 *       GCMD.QIE and GSTS.QIES checked;</li>
 *   <li>the root table ({@code iommu_alloc_root_entry}, {@code iommu_set_root_entry}): one page,
 *       RTADDR = address | TTM scalable (bit 10), GCMD.SRTP and GSTS.RTPS checked, then the global
 *       context-cache, PASID-cache and IOTLB invalidations Linux issues after latching a root table;</li>
 *   <li>the page request queue when ECAP.PRS and PASID ({@code intel_iommu_enable_prq}): 2^4 pages,
 *       PQH = PQT = 0, PQA = address | PRQ_ORDER;</li>
 *   <li>translation ({@code iommu_enable_translation}): GCMD.TE, GSTS.TES checked.</li>
 * </ol>
 * GCMD writes carry the status bits of the persistent commands (Linux reads GSTS and masks the
 * one-shot status bits RTPS, FLS, WBFS and IRTPS away, {@code 0x96ffffff}) so that setting one
 * command never clears another.
 */
public final class VtdUnitBringUp {

    public static final int GSTS_TES = (int) VtdGlobalStatusRegister.TES.mask();
    public static final int GSTS_RTPS = (int) VtdGlobalStatusRegister.RTPS.mask();
    public static final int GSTS_QIES = (int) VtdGlobalStatusRegister.QIES.mask();
    public static final int GCMD_TE = VtdMmio.GCMD_TE;
    public static final int GCMD_SRTP = VtdMmio.GCMD_SRTP;
    public static final int GCMD_QIE = VtdMmio.GCMD_QIE;
    /** GSTS bits that are not persistent commands (Linux's mask in {@code iommu_set_root_entry}). */
    static final int ONE_SHOT_STATUS_MASK = 0x96ffffff;
    /** RTADDR.TTM = 01b, scalable mode (Linux {@code DMA_RTADDR_SMT}). */
    public static final long RTADDR_SMT = 1L << 10;
    /** Queue pages: two for 256 x 32-byte descriptors, one for wait-status slots, one spare (power of two). */
    static final int QUEUE_ALLOCATION_PAGES = 4;
    static final long IQA_QS = 1;
    /** Linux {@code PRQ_ORDER}: the page request queue spans 2^4 pages. */
    static final int PRQ_ORDER = 4;

    /**
     * Brings the unit up if needed and returns its root table address.
     *
     * @throws IommuException EOPNOTSUPP for a unit without scalable mode or queued invalidation
     *     (legacy mode is not emulated); EIO when a command does not take effect
     */
    public static long ensure(UnitContext unit) {
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            return ensureLocked(unit);
        } finally {
            lock.unlock();
        }
    }

    /** Whether a root table is latched: without one no device can have been attached. */
    public static boolean rootTableLatched(UnitContext unit) {
        return (unit.registers().read32(VtdRegisterOffsets.GSTS) & GSTS_RTPS) != 0;
    }

    private static long ensureLocked(UnitContext unit) {
        RegisterFile regs = unit.registers();
        VtdUnitCapabilities caps = VtdUnitCapabilities.read(unit);
        if (!caps.scalableMode()) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: the host driver needs scalable mode (ECAP.SMTS)",
                    unit.name());
        }
        int gsts = regs.read32(VtdRegisterOffsets.GSTS);
        if ((gsts & GSTS_QIES) == 0) {
            long queue = unit.allocatePages(QUEUE_ALLOCATION_PAGES);
            VtdRegisterWrites.write64(unit, VtdRegisterOffsets.IQT, 0);
            VtdRegisterWrites.write64(unit, VtdRegisterOffsets.IQA, queue | VtdQueuedInvalidation.IQA_DW | IQA_QS);
            command(unit, GCMD_QIE, GSTS_QIES, "QIE");
        }
        long rtaddr = regs.read64(VtdRegisterOffsets.RTADDR);
        gsts = regs.read32(VtdRegisterOffsets.GSTS);
        if ((gsts & GSTS_RTPS) == 0 || (rtaddr & ~0xFFFL) == 0) {
            long root = (rtaddr & ~0xFFFL) != 0 ? rtaddr & ~0xFFFL : unit.allocatePages(1);
            VtdRegisterWrites.write64(unit, VtdRegisterOffsets.RTADDR, root | RTADDR_SMT);
            command(unit, GCMD_SRTP, GSTS_RTPS, "SRTP");
            VtdQueuedInvalidation.submitSync(unit, List.of(VtdQiDescriptor.contextGlobal(),
                    VtdQiDescriptor.pasidCache(0, VtdQiDescriptor.PC_GRAN_GLOBAL, 0), VtdQiDescriptor.iotlbGlobal()));
            rtaddr = regs.read64(VtdRegisterOffsets.RTADDR);
        }
        if (caps.pageRequests() && caps.pasidSupported() && regs.read64(VtdRegisterOffsets.PQA) == 0) {
            long prq = unit.allocatePages(1 << PRQ_ORDER);
            VtdRegisterWrites.write64(unit, VtdRegisterOffsets.PQH, 0);
            VtdRegisterWrites.write64(unit, VtdRegisterOffsets.PQT, 0);
            VtdRegisterWrites.write64(unit, VtdRegisterOffsets.PQA, prq | PRQ_ORDER);
        }
        if ((regs.read32(VtdRegisterOffsets.GSTS) & GSTS_TES) == 0) {
            command(unit, GCMD_TE, GSTS_TES, "TE");
        }
        return rtaddr & ~0xFFFL;
    }

    /** Sets one GCMD command on top of the persistent ones and checks that its status bit followed. */
    private static void command(UnitContext unit, int command, int status, String name) {
        int persistent = unit.registers().read32(VtdRegisterOffsets.GSTS) & ONE_SHOT_STATUS_MASK;
        VtdRegisterWrites.write32(unit, VtdRegisterOffsets.GCMD, persistent | command);
        if ((unit.registers().read32(VtdRegisterOffsets.GSTS) & status) == 0) {
            throw IommuException.of(Errno.EIO, "%s: GCMD.%s did not set its status bit", unit.name(), name);
        }
    }

    private VtdUnitBringUp() {
    }
}
