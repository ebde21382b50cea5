package io.nestor.driver.vtd.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Hand-computed encodings, checked against the QI_* macro arithmetic of Linux iommu.h. */
class VtdQiDescriptorTest {

    @Test
    void contextAndIotlb() {
        assertEquals(0x0000_1234_0000_0031L, VtdQiDescriptor.contextDevice(0, 0x1234).q0());
        assertEquals(0x11L, VtdQiDescriptor.contextGlobal().q0());
        assertEquals(0x0005_0022L, VtdQiDescriptor.iotlbDomain(5).q0());
        VtdQiDescriptor psi = VtdQiDescriptor.iotlbPages(7, 0x20_3000L, 3, true);
        assertEquals(0x0007_0032L, psi.q0());
        assertEquals(0x20_3000L | 0x40 | 3, psi.q1());
    }

    @Test
    void pasidBased() {
        VtdQiDescriptor p = VtdQiDescriptor.piotlbPages(9, 0xABCDE, 0x8000, 2, false);
        assertEquals(0x000A_BCDE_0009_0036L, p.q0());
        assertEquals(0x8002L, p.q1());
        assertEquals(0x000A_BCDE_0009_0026L, VtdQiDescriptor.piotlbPasid(9, 0xABCDE).q0());
        assertEquals(0x0000_0003_0004_0017L, VtdQiDescriptor.pasidCache(4, VtdQiDescriptor.PC_GRAN_PASID, 3).q0());
    }

    @Test
    void deviceTlbSizeEncodings() {
        // sid 0x0123: PFSID low nibble 3 at 15:12, 0x012 at 63:52
        VtdQiDescriptor one = VtdQiDescriptor.deviceTlb(0x0123, 0x5000, 0);
        assertEquals(0x0120_0123_0000_3003L, one.q0());
        assertEquals(0x5000L, one.q1());
        // everything: S=1, address bits 62:12 all ones
        assertEquals(0x7FFF_FFFF_FFFF_F001L, VtdQiDescriptor.deviceTlb(0x0123, 0, VtdQiDescriptor.DEVTLB_ALL).q1());
        // 8 KiB at 0x4000: bit 12 clear, S=1
        assertEquals(0x4001L, VtdQiDescriptor.deviceTlb(0x0123, 0x4000, 1).q1());

        VtdQiDescriptor p = VtdQiDescriptor.pasidDeviceTlb(0x0010, 5, 0x8000, 2);
        assertEquals(0x0010_0005_0010_0008L, p.q0(), "PFSID 0x010: bits 63:52 hold 0x001");
        // 16 KiB at 0x8000: bit 12 set, bit 13 clear, S (bit 11)
        assertEquals(0x9800L, p.q1());
        assertEquals(0x7FFF_FFFF_FFFF_F800L, VtdQiDescriptor.pasidDeviceTlb(0x10, 5, 0, VtdQiDescriptor.DEVTLB_ALL).q1());
    }

    @Test
    void waitAndPageGroupResponse() {
        VtdQiDescriptor w = VtdQiDescriptor.waitWithStatus(0x1000_0008L, 2);
        assertEquals(0x0000_0002_0000_0025L, w.q0());
        assertEquals(0x1000_0008L, w.q1());
        VtdQiDescriptor r = VtdQiDescriptor.pageGroupResponse(0x0010, 0x42, true, 1, 0x1FF);
        assertEquals(0x0000_0042_0010_1019L, r.q0());
        assertEquals(0xFF8L, r.q1());
        assertEquals(0x0000_0000_0010_F009L, VtdQiDescriptor.pageGroupResponse(0x10, 0, false, 0xF, 0).q0());
    }

    @Test
    void psiBlocksCoverTheRange() {
        assertEquals(new VtdPsiRange(0x3000, 0), VtdPsiRange.covering(0x3000, 0x3FFF));
        assertEquals(new VtdPsiRange(0x4000, 1), VtdPsiRange.covering(0x4000, 0x5FFF));
        assertEquals(new VtdPsiRange(0x0, 3), VtdPsiRange.covering(0x3000, 0x5FFF));
        assertEquals(new VtdPsiRange(0x20_0000, 9), VtdPsiRange.covering(0x20_0000, 0x3F_FFFF));
        assertTrue(VtdPsiRange.covering(0, -1L).everything());
        assertTrue(VtdPsiRange.covering(0x7FFF_FFFF_F000L, 0x8000_0000_0FFFL).mask() >= 32);
    }
}
