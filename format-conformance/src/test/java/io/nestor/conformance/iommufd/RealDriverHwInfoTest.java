package io.nestor.conformance.iommufd;

import static io.nestor.conformance.iommufd.RealDriverPlatform.ARM;
import static io.nestor.conformance.iommufd.RealDriverPlatform.NIC;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nestor.api.driver.HwInfo;
import io.nestor.core.iommufd.HwInfoReply;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** GET_HW_INFO through the real drivers: vendor structures, lengths, PASID width and PCI bits. */
class RealDriverHwInfoTest {
    private final RealDriverPlatform p = new RealDriverPlatform();

    @Test
    void vtdReportsCapEcapAndTheDevicesPasidBits() {
        int nic = p.context.devices().bind(NIC);
        HwInfoReply r = p.context.devices().hwInfo(nic, 0, 32, 0, 0);
        assertEquals(HwInfo.TYPE_INTEL_VTD, r.outDataType());
        assertEquals(24, r.dataLen(), "struct iommu_hw_info_vtd");
        assertEquals(32, r.data().length);
        ByteBuffer b = ByteBuffer.wrap(r.data()).order(ByteOrder.LITTLE_ENDIAN);
        HwInfo direct = p.registry.runtimeUnit("dmar0").orElseThrow().hwInfo();
        assertEquals(ByteBuffer.wrap(direct.data()).order(ByteOrder.LITTLE_ENDIAN).getLong(8), b.getLong(8), "cap_reg");
        assertEquals(0L, b.getLong(24), "zero-filled beyond the driver's 24 bytes");
        assertEquals(20, r.outMaxPasidLog2());
        assertEquals(HwInfo.CAP_DIRTY_TRACKING | HwInfo.CAP_PCI_PASID_EXEC | HwInfo.CAP_PCI_PASID_PRIV,
                r.outCapabilities());
    }

    @Test
    void smmuReportsItsIdRegistersCutToTheUsersLength() {
        int arm = p.context.devices().bind(ARM);
        HwInfoReply full = p.context.devices().hwInfo(arm, 0, 64, 0, 0);
        assertEquals(HwInfo.TYPE_ARM_SMMUV3, full.outDataType());
        HwInfoReply cut = p.context.devices().hwInfo(arm, 0, 12, 0, 0);
        assertEquals(full.dataLen(), cut.dataLen());
        assertEquals(12, cut.data().length);
        assertEquals(ByteBuffer.wrap(full.data()).order(ByteOrder.LITTLE_ENDIAN).getInt(8),
                ByteBuffer.wrap(cut.data()).order(ByteOrder.LITTLE_ENDIAN).getInt(8), "idr[0]");
        assertEquals(20, full.outMaxPasidLog2());
        assertEquals(0, full.outCapabilities() & (HwInfo.CAP_PCI_PASID_EXEC | HwInfo.CAP_PCI_PASID_PRIV));
    }
}
