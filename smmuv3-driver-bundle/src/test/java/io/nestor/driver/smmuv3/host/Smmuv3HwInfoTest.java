package io.nestor.driver.smmuv3.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nestor.api.driver.HwInfo;
import io.nestor.driver.smmuv3.Features;
import io.nestor.driver.smmuv3.Smmuv3Driver;
import io.nestor.driver.smmuv3.TestUnit;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class Smmuv3HwInfoTest {

    private final Smmuv3Driver driver = new Smmuv3Driver();

    private TestUnit resetUnit(Features f) {
        TestUnit unit = TestUnit.of(f.build());
        driver.reset(unit);
        return unit;
    }

    /**
     * The typical unit (nesting, 20-bit SSIDs, 16-bit SIDs, 48-bit OAS, 4K granule, PRI, ATS, dirty
     * tracking, 16-bit ASID/VMID, no stall), computed by hand from the spec bit positions:
     * <pre>
     * IDR0 = S2P|S1P (0x3) | TTF 2 &lt;&lt; 2 | COHACC &lt;&lt; 4 | HTTU 2 &lt;&lt; 6 | ATS &lt;&lt; 10 | ASID16 &lt;&lt; 12
     *        | MSI &lt;&lt; 13 | PRI &lt;&lt; 16 | VMID16 &lt;&lt; 18 | CD2L &lt;&lt; 19 | TTENDIAN 2 &lt;&lt; 21
     *        | STALL_MODEL 1 &lt;&lt; 24 | TERM_MODEL &lt;&lt; 26 | ST_LEVEL 1 &lt;&lt; 27       = 0x0D4D349B
     * IDR1 = SIDSIZE 16 | SSIDSIZE 20 &lt;&lt; 6 | PRIQS 19 &lt;&lt; 11 | EVENTQS 19 &lt;&lt; 16
     *        | CMDQS 19 &lt;&lt; 21                                                    = 0x02739D10
     * IDR3 = RIL &lt;&lt; 10 = 0x400;  IDR5 = OAS 5 | GRAN4K &lt;&lt; 4 = 0x15;  IIDR 0;  AIDR 0x02
     * </pre>
     */
    @Test
    void exactStructLayoutForAKnownConfiguration() {
        HwInfo info = driver.hwInfo(resetUnit(Features.typical()));
        byte[] expected = {
            0x00, 0x00, 0x00, 0x00,                      // flags
            0x00, 0x00, 0x00, 0x00,                      // __reserved
            (byte) 0x9B, 0x34, 0x4D, 0x0D,               // idr[0]
            0x10, (byte) 0x9D, 0x73, 0x02,               // idr[1]
            0x00, 0x00, 0x00, 0x00,                      // idr[2]
            0x00, 0x04, 0x00, 0x00,                      // idr[3]
            0x00, 0x00, 0x00, 0x00,                      // idr[4]
            0x15, 0x00, 0x00, 0x00,                      // idr[5]
            0x00, 0x00, 0x00, 0x00,                      // iidr
            0x02, 0x00, 0x00, 0x00,                      // aidr
        };
        assertArrayEquals(expected, info.data());
        assertEquals(HwInfo.TYPE_ARM_SMMUV3, info.type());
        assertEquals(HwInfo.CAP_DIRTY_TRACKING, info.capabilities());
        assertEquals(20, info.maxPasidLog2());
        assertEquals(List.of("idr0", "idr1", "idr2", "idr3", "idr4", "idr5", "iidr", "aidr"),
                List.copyOf(info.registers().keySet()));
        assertEquals(0x0D4D349BL, info.registers().get("idr0"));
        assertEquals(0x02739D10L, info.registers().get("idr1"));
        assertEquals(0x15L, info.registers().get("idr5"));
    }

    @Test
    void hwInfoReadsTheRegistersNotTheFeatures() {
        TestUnit unit = resetUnit(Features.typical());
        int idr0 = unit.registers().read32(0x00);
        int idr1 = unit.registers().read32(0x04);
        unit.registers().write32(0x00, (idr0 & ~(3 << 6)) | (1 << 6)); // HTTU = access flag only
        unit.registers().write32(0x04, (idr1 & ~(0x1F << 6)) | (8 << 6)); // SSIDSIZE = 8
        unit.registers().write32(0x1C, 0x01); // AIDR = v3.1
        unit.registers().write32(0x14, 0xFFFF0075);

        HwInfo info = driver.hwInfo(unit);
        assertEquals(0, info.capabilities(), "no dirty tracking with HTTU = access only");
        assertEquals(8, info.maxPasidLog2());
        ByteBuffer data = ByteBuffer.wrap(info.data()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x01, data.getInt(36), "aidr");
        assertEquals(0xFFFF0075, data.getInt(28), "idr[5]");
        assertEquals(0xFFFF0075L, info.registers().get("idr5"), "register map is unsigned");
    }

    @Test
    void dirtyTrackingNeedsCoherentAccess() {
        TestUnit unit = resetUnit(Features.typical());
        int idr0 = unit.registers().read32(0x00);
        unit.registers().write32(0x00, idr0 & ~(1 << 4));
        assertEquals(0, driver.hwInfo(unit).capabilities(), "arm_smmu_dbm_capable() needs COHACC");
    }

    @Test
    void noDirtyTrackingAndNoSubstreamsWhenNotConfigured() {
        Features f = Features.typical();
        f.dirtyTracking = false;
        f.pasidBits = 0;
        HwInfo info = driver.hwInfo(resetUnit(f));
        assertEquals(0, info.capabilities());
        assertEquals(0, info.maxPasidLog2());
        assertEquals(40, info.data().length);
    }
}
