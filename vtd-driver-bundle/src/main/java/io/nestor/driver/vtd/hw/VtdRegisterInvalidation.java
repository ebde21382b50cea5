package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.translation.InvalidationScope;
import java.util.List;

/**
 * The register-based invalidation interface (VT-d spec 6.5.1, 11.4.6 CCMD_REG and 11.4.8
 * IOTLB_REG / IVA_REG): software writes a command with ICC / IVT set and polls until the hardware
 * clears it, then reads the granularity actually performed (CAIG / IAIG). The scopes are those of
 * the equivalent queued descriptors ({@link VtdInvalidationScopes}); processing is synchronous, so
 * ICC / IVT read back clear at once. Scalable-mode software uses the queue, but a command left
 * unprocessed would make a polling driver spin forever.
 *
 * <p>CCMD: ICC 63, CIRG 62:61, CAIG 60:59, FM 33:32, SID 31:16, DID 15:0. IOTLB_REG: IVT 63,
 * IIRG 61:60, IAIG 58:57, DR 49, DW 48, DID 47:32; IVA: ADDR 63:12, IH 6, AM 5:0. A reserved
 * granularity (or AM above CAP.MAMV) is not performed and reports granularity 00. Callers hold the
 * register lock.
 */
final class VtdRegisterInvalidation {

    private static final long GO = 1L << 63;
    private static final long CCMD_CAIG = 3L << 59;
    private static final long IOTLB_IAIG = 3L << 57;

    /** CCMD written (after its value was stored). */
    static void contextCommand(UnitContext unit) {
        RegisterFile regs = unit.registers();
        long ccmd = regs.read64(VtdRegisterOffsets.CCMD);
        if ((ccmd & GO) == 0) {
            return;
        }
        int g = (int) (ccmd >>> 61) & 3;
        List<InvalidationScope> scopes = VtdInvalidationScopes.contextCache(unit, g, (int) (ccmd >>> 16) & 0xFFFF,
                (int) (ccmd >>> 32) & 3);
        long performed = 0;
        if (scopes != null) {
            scopes.forEach(unit::invalidate);
            // domain-selective is carried out as global (see VtdInvalidationScopes)
            performed = g == 3 ? 3 : 1;
        }
        regs.write64(VtdRegisterOffsets.CCMD, (ccmd & ~GO & ~CCMD_CAIG) | performed << 59);
    }

    /** IOTLB_REG written (after its value was stored). */
    static void iotlbCommand(UnitContext unit) {
        RegisterFile regs = unit.registers();
        long cmd = regs.read64(VtdRegisterOffsets.IOTLB);
        if ((cmd & GO) == 0) {
            return;
        }
        int g = (int) (cmd >>> 60) & 3;
        long iva = regs.read64(VtdRegisterOffsets.IVA);
        long performed = 0;
        if (g != 0 && (g != 3 || (iva & 0x3F) <= VtdInvalidationScopes.maxAddressMask(unit))) {
            VtdInvalidationScopes.iotlb(unit, g, (int) (cmd >>> 32) & 0xFFFF, iva).forEach(unit::invalidate);
            performed = g;
        }
        regs.write64(VtdRegisterOffsets.IOTLB, (cmd & ~GO & ~IOTLB_IAIG) | performed << 57);
    }

    private VtdRegisterInvalidation() {
    }
}
