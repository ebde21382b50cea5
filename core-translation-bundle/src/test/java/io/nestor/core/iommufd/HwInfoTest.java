package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.DeviceFixture.ARM;
import static io.nestor.core.iommufd.DeviceFixture.LEGACY;
import static io.nestor.core.iommufd.DeviceFixture.NIC;
import static io.nestor.core.iommufd.DeviceFixture.NIC2;
import static io.nestor.core.iommufd.DeviceFixture.SMALL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nestor.api.driver.HwInfo;
import io.nestor.api.error.Errno;
import org.junit.jupiter.api.Test;

/** IOMMU_GET_HW_INFO: data_len rules, types, PASID width and the PCI PASID capability bits. */
class HwInfoTest {
    private final DeviceFixture f = new DeviceFixture();
    private final int nic = f.bind(NIC);

    @Test
    void dataIsCutOrZeroFilledAndDataLenIsTheDriversLength() {
        HwInfoReply shorter = f.context.devices().hwInfo(nic, 0, 5, 0, 0);
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, shorter.data());
        assertEquals(12, shorter.dataLen());
        HwInfoReply longer = f.context.devices().hwInfo(nic, 0, 16, 0, 0);
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 0}, longer.data());
        assertEquals(12, longer.dataLen());
        HwInfoReply none = f.context.devices().hwInfo(nic, 0, 0, 0, 0);
        assertEquals(0, none.data().length);
        assertEquals(12, none.dataLen());
        assertEquals(HwInfo.TYPE_INTEL_VTD, none.outDataType());
    }

    @Test
    void capabilitiesCarryThePciPasidBitsOfTheDevice() {
        HwInfoReply r = f.context.devices().hwInfo(nic, 0, 0, 0, 0);
        assertEquals(20, r.outMaxPasidLog2());
        assertEquals(HwInfo.CAP_DIRTY_TRACKING | HwInfo.CAP_PCI_PASID_EXEC | HwInfo.CAP_PCI_PASID_PRIV,
                r.outCapabilities());
        HwInfoReply nic2 = f.context.devices().hwInfo(f.bind(NIC2), 0, 0, 0, 0);
        assertEquals(16, nic2.outMaxPasidLog2());
        assertEquals(HwInfo.CAP_DIRTY_TRACKING, nic2.outCapabilities(), "PASID without EXEC / PRIV");
        assertEquals(8, f.context.devices().hwInfo(f.bind(SMALL), 0, 0, 0, 0).outMaxPasidLog2());
        int legacyId = f.bind(LEGACY);
        HwInfoReply legacy = f.context.devices().hwInfo(legacyId, 0, 0, 0, 0);
        assertEquals(0, legacy.outMaxPasidLog2());
        assertEquals(HwInfo.CAP_DIRTY_TRACKING, legacy.outCapabilities());
        // the PCI bits are the device's: a driver's claim of them is dropped
        f.vtd.capabilities = HwInfo.CAP_PCI_PASID_EXEC | HwInfo.CAP_PCI_PASID_PRIV;
        assertEquals(0, f.context.devices().hwInfo(legacyId, 0, 0, 0, 0).outCapabilities());
    }

    @Test
    void errorsInOrder() {
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.devices().hwInfo(999, 2, 0, 0, 0));
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.devices().hwInfo(999, 0, 0, 0, 1));
        f.failsUnchanged(Errno.ENOENT, () -> f.context.devices().hwInfo(999, 0, 0, 0, 0));
        f.failsUnchanged(Errno.EOPNOTSUPP, () -> f.context.devices().hwInfo(nic, 1, 0, HwInfo.TYPE_ARM_SMMUV3, 0));
        assertEquals(HwInfo.TYPE_INTEL_VTD, f.context.devices().hwInfo(nic, 1, 0, HwInfo.TYPE_INTEL_VTD, 0)
                .outDataType(), "the unit's own type with INPUT_TYPE");
        assertEquals(HwInfo.TYPE_ARM_SMMUV3, f.context.devices().hwInfo(f.bind(ARM), 1, 0, 0, 0).outDataType(),
                "DEFAULT with INPUT_TYPE");
    }
}
