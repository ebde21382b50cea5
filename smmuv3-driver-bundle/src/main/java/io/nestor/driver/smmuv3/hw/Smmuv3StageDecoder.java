package io.nestor.driver.smmuv3.hw;

import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.StageConfig;
import io.nestor.driver.smmuv3.hw.format.VmsaGeometry;
import io.nestor.driver.smmuv3.hw.format.VmsaGranule;
import io.nestor.driver.smmuv3.hw.format.VmsaStage1Format;
import io.nestor.driver.smmuv3.hw.format.VmsaStage2Format;

/**
 * Turns the stage fields of an STE (stage 2) or a CD (stage 1) into a {@link StageConfig}, checking
 * them against what the SMMU implements (IDR0 / IDR3 / IDR5) the way the hardware does before a walk.
 *
 * <p>Rules (hw-formats.md §2.2–§2.4; QEMU hw/arm/smmuv3.c {@code decode_ste_s2_cfg},
 * {@code decode_cd}):
 * <ul>
 * <li>only AArch64 tables are implemented (IDR0.TTF), so S2AA64 / CD.AA64 = 0 is illegal;</li>
 * <li>TG encodings are 0 = 4 KiB, 1 = 64 KiB, 2 = 16 KiB for both S2TG and TG0; 3 and a granule
 *     IDR5 does not advertise are illegal;</li>
 * <li>T0SZ / S2T0SZ / S2SL0 must give a consistent geometry ({@link VmsaGeometry}); for stage 2
 *     also S2T0SZ &ge; 64 - IAS, with IAS = OAS for an AArch64-only SMMU;</li>
 * <li>the output size is S2PS / IPS capped at IDR5.OAS (a reserved encoding reads as OAS), and at
 *     48 bits since 52-bit addresses are not implemented; a table base beyond it is illegal;</li>
 * <li>HA / HD are honoured only as far as IDR0.HTTU allows, and HD only with HA; CD.HAD0 only with
 *     IDR3.HAD.</li>
 * </ul>
 * Illegal stage-2 fields give C_BAD_STE, illegal stage-1 fields C_BAD_CD.
 */
final class Smmuv3StageDecoder {

    static StageConfig stage2(Smmuv3Ste ste, int idr0, int idr3, int idr5) throws FaultException {
        int bad = Smmuv3EventType.C_BAD_STE;
        if (!ste.s2Aa64()) {
            throw Smmuv3ConfigFaults.event(bad);
        }
        VmsaGranule granule = granule(ste.s2Tg(), idr5, bad);
        int oas = Smmuv3Idr5.implementedOutputBits(idr5);
        if (ste.s2T0sz() < 64 - oas) {
            throw Smmuv3ConfigFaults.event(bad);
        }
        VmsaGeometry geometry;
        try {
            geometry = VmsaGeometry.stage2(granule, ste.s2T0sz(), ste.s2Sl0());
        } catch (IllegalArgumentException e) {
            throw Smmuv3ConfigFaults.event(bad);
        }
        int outputBits = cappedOutputBits(ste.s2Ps(), oas);
        checkTableBase(ste.s2Ttb(), outputBits, bad);
        int httu = Smmuv3Idr0.get(Smmuv3Idr0.HTTU, idr0);
        boolean ha = ste.s2Ha() && httu >= Smmuv3Idr0.HTTU_ACCESS;
        boolean hd = ste.s2Hd() && ha && httu >= Smmuv3Idr0.HTTU_ACCESS_DIRTY;
        boolean xnx = Smmuv3Idr3.XNX.isSet(Integer.toUnsignedLong(idr3));
        return new StageConfig(new VmsaStage2Format(geometry, outputBits, hd, xnx), ste.s2Ttb(), ha);
    }

    static StageConfig stage1(Smmuv3Cd cd, int idr0, int idr3, int idr5) throws FaultException {
        int bad = Smmuv3EventType.C_BAD_CD;
        if (!cd.valid() || !cd.aa64()) {
            throw Smmuv3ConfigFaults.event(bad);
        }
        VmsaGranule granule = granule(cd.tg0(), idr5, bad);
        VmsaGeometry geometry;
        try {
            geometry = VmsaGeometry.stage1(granule, cd.t0sz());
        } catch (IllegalArgumentException e) {
            throw Smmuv3ConfigFaults.event(bad);
        }
        if (cd.epd0()) {
            // EPD0: every TTB0 walk is a stage-1 translation fault (F_TRANSLATION), not a
            // configuration error (hw-formats.md §2.3, §2.6). No config can express "always
            // faults", so the fault is raised here for each request.
            throw new FaultException(new Fault(FaultStage.STAGE1, FaultReason.TRANSLATION, -1, 0, 0, 0, false, 0));
        }
        int outputBits = cappedOutputBits(cd.ips(), Smmuv3Idr5.implementedOutputBits(idr5));
        checkTableBase(cd.ttb0(), outputBits, bad);
        int httu = Smmuv3Idr0.get(Smmuv3Idr0.HTTU, idr0);
        boolean ha = cd.ha() && httu >= Smmuv3Idr0.HTTU_ACCESS;
        boolean hd = cd.hd() && ha && httu >= Smmuv3Idr0.HTTU_ACCESS_DIRTY;
        boolean had = cd.had0() && Smmuv3Idr3.HAD.isSet(Integer.toUnsignedLong(idr3));
        return new StageConfig(new VmsaStage1Format(geometry, outputBits, hd, had), cd.ttb0(), ha);
    }

    private static VmsaGranule granule(int tg, int idr5, int badEvent) throws FaultException {
        VmsaGranule g = VmsaGranule.ofTg(tg);
        if (g == null || !Smmuv3Idr5.offers(g, idr5)) {
            throw Smmuv3ConfigFaults.event(badEvent);
        }
        return g;
    }

    private static int cappedOutputBits(int encoding, int oas) {
        int bits = Smmuv3Idr5.outputAddressBits(encoding);
        return bits < 0 ? oas : Math.min(bits, oas);
    }

    private static void checkTableBase(long base, int outputBits, int badEvent) throws FaultException {
        if (base >>> outputBits != 0) {
            throw Smmuv3ConfigFaults.event(badEvent);
        }
    }

    private Smmuv3StageDecoder() {
    }
}
