package io.nestor.driver.vtd.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.nestor.api.driver.HwInfo;
import io.nestor.driver.vtd.Features;
import io.nestor.driver.vtd.TestUnit;
import io.nestor.driver.vtd.VtdDriver;
import java.util.List;
import org.junit.jupiter.api.Test;

class VtdHwInfoTest {

    private final VtdDriver driver = new VtdDriver();

    private TestUnit resetUnit(Features f) {
        TestUnit unit = TestUnit.of(f.build());
        driver.reset(unit);
        return unit;
    }

    /**
     * The typical unit (nesting, 20-bit PASID, 48-bit input, 4K/2M/1G, PRS, DT, dirty tracking,
     * 16-bit DIDs, no caching mode), computed by hand from the spec bit positions:
     * <pre>
     * CAP  = ND 6 | SAGAW 0b0110 &lt;&lt; 8 | MGAW 47 &lt;&lt; 16 | FRO 0x60 &lt;&lt; 24 | SLLPS 0b11 &lt;&lt; 34
     *        | PSI &lt;&lt; 39 | NFR 7 &lt;&lt; 40 | MAMV 18 &lt;&lt; 48 | FL1GP &lt;&lt; 56       = 0x0112078C602F0606
     * ECAP = C|QI|DT|PT|SC (0xC7) | IRO 0x50 &lt;&lt; 8 | NEST 26 | PRS 29 | SRS 31  (low  = 0xA40050C7)
     *        PSS 19 &lt;&lt; 35 | PASID 40 | PDS 42 | SMTS 43 | SSADS 45 | SSTS 46 | FSTS 47
     *        | SMPWCS 48 | RPS 49                                    (high = 0x0003ED98)
     * </pre>
     */
    @Test
    void exactStructLayoutForAKnownConfiguration() {
        HwInfo info = driver.hwInfo(resetUnit(Features.typical()));
        byte[] expected = {
            0x01, 0x00, 0x00, 0x00,                                    // flags: ERRATA_772415_SPR17
            0x00, 0x00, 0x00, 0x00,                                    // __reserved
            0x06, 0x06, 0x2F, 0x60, (byte) 0x8C, 0x07, 0x12, 0x01,    // cap_reg, little-endian
            (byte) 0xC7, 0x50, 0x00, (byte) 0xA4, (byte) 0x98, (byte) 0xED, 0x03, 0x00, // ecap_reg
        };
        assertArrayEquals(expected, info.data());
        assertEquals(HwInfo.TYPE_INTEL_VTD, info.type());
        assertEquals(HwInfo.CAP_DIRTY_TRACKING, info.capabilities());
        assertEquals(20, info.maxPasidLog2());
        assertEquals(List.of("cap_reg", "ecap_reg", "ver_reg"), List.copyOf(info.registers().keySet()));
        assertEquals(0x0112078C602F0606L, info.registers().get("cap_reg"));
        assertEquals(0x0003ED98A40050C7L, info.registers().get("ecap_reg"));
        assertEquals(0x60L, info.registers().get("ver_reg"));
    }

    @Test
    void hwInfoReadsTheRegistersNotTheFeatures() {
        TestUnit unit = resetUnit(Features.typical());
        long ecap = unit.registers().read64(0x10);
        // Clear SSADS (bit 45) and set PSS to 7 (8-bit PASIDs) behind the features' back.
        long poked = (ecap & ~(1L << 45) & ~(0x1FL << 35)) | (7L << 35);
        unit.registers().write64(0x10, poked);
        unit.registers().write64(0x08, 0x0123456789ABCDEFL);

        HwInfo info = driver.hwInfo(unit);
        assertEquals(0, info.capabilities(), "no dirty tracking once SSADS reads 0");
        assertEquals(8, info.maxPasidLog2());
        byte[] data = info.data();
        assertEquals((byte) 0xEF, data[8]);
        assertEquals((byte) 0x01, data[15]);
        assertEquals(poked, java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(16));
    }

    @Test
    void dirtyTrackingNeedsScalableModePageWalkCoherency() {
        TestUnit unit = resetUnit(Features.typical());
        long ecap = unit.registers().read64(0x10);
        unit.registers().write64(0x10, ecap & ~(1L << 48));
        assertEquals(0, driver.hwInfo(unit).capabilities(), "SSADS without SMPWCS: Linux ssads_supported() is false");
        unit.registers().write64(0x10, ecap & ~(1L << 43));
        assertEquals(0, driver.hwInfo(unit).capabilities(), "SSADS without SMTS");
        unit.registers().write64(0x10, ecap);
        assertEquals(HwInfo.CAP_DIRTY_TRACKING, driver.hwInfo(unit).capabilities());
    }

    @Test
    void noDirtyTrackingAndNoPasidWhenNotConfigured() {
        Features f = Features.typical();
        f.dirtyTracking = false;
        f.pasidBits = 0;
        HwInfo info = driver.hwInfo(resetUnit(f));
        assertEquals(0, info.capabilities());
        assertEquals(0, info.maxPasidLog2());
    }

    @Test
    void pasidWidthRequiresScalableMode() {
        TestUnit unit = resetUnit(Features.typical());
        long ecap = unit.registers().read64(0x10);
        unit.registers().write64(0x10, ecap & ~(1L << 43));
        assertEquals(0, driver.hwInfo(unit).maxPasidLog2(), "Linux pasid_supported() needs SMTS");
    }

    @Test
    void returnedDataIsACopy() {
        TestUnit unit = resetUnit(Features.typical());
        HwInfo info = driver.hwInfo(unit);
        byte[] data = info.data();
        data[8] = 0;
        assertNotEquals(0, info.data()[8]);
    }
}
