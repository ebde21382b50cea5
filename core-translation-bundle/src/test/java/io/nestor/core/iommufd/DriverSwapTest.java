package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.DeviceFixture.NIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.translation.Access;
import io.nestor.core.unit.DriverBinding;
import org.junit.jupiter.api.Test;

/**
 * A driver hot swap under a live paging domain: the next table edit fetches the new driver's
 * format and adopts the table under it, so the departed driver's format object is not used again;
 * mappings made before and after the swap all translate.
 */
class DriverSwapTest {

    @Test
    void theNextEditAdoptsTheTableUnderTheNewDriversFormat() {
        DeviceFixture f = new DeviceFixture();
        int dev = f.bind(NIC);
        int ioas = f.ioas();
        f.mapRegion(ioas, 0x10_0000L, 0x2000);
        int hwpt = f.pagingHwpt(dev, ioas, 0);
        f.context.devices().attach(dev, DeviceInfo.NO_PASID, hwpt);
        DriverPagingDomain domain = (DriverPagingDomain) f.object(hwpt, ObjectType.HWPT_PAGING, HwptPaging.class)
                .domain();
        assertSame(f.vtd.format, domain.builder().format());

        HwptTestDriver updated = new HwptTestDriver(IommuDriver.KIND_INTEL_VTD);
        updated.attached.putAll(f.vtd.attached); // the hardware's tables survive the swap
        f.registry.addDriver(new DriverBinding(updated, updated.kind(), "test.vtd", 1, "1.1.0", 10, 3));
        f.registry.removeDriver(1);
        assertSame(f.vtd.format, domain.builder().format(), "nothing edited yet");

        f.mapRegion(ioas, 0x20_0000L, 0x1000);
        assertSame(updated.format, domain.builder().format(), "the edit adopted the new driver's format");
        assertNotSame(f.vtd.format, updated.format);
        assertTrue(updated.calls.contains("pagingFormat " + domain.descriptor().tag()), updated.calls.toString());
        assertEquals(0x3_0000_1000L, f.translate(NIC, DeviceInfo.NO_PASID, 0x10_1000L, Access.READ), "old mapping");
        assertEquals(0x3_0000_0000L, f.translate(NIC, DeviceInfo.NO_PASID, 0x20_0000L, Access.READ), "new mapping");
        f.context.close();
        assertEquals(0, f.tablePages.livePages());
        assertTrue(updated.calls.contains("free " + domain.descriptor().tag()), "freed by the new driver");
    }
}
