package io.nestor.driver.vtd.host;

import static io.nestor.driver.vtd.host.HostFixture.DISK;
import static io.nestor.driver.vtd.host.HostFixture.DRIVER;
import static io.nestor.driver.vtd.host.HostFixture.NIC;
import static io.nestor.driver.vtd.host.HostFixture.fails;
import static io.nestor.driver.vtd.host.HostFixture.s1;
import static io.nestor.driver.vtd.host.HostFixture.upUnit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.driver.vtd.Features;
import io.nestor.driver.vtd.hw.VtdRegisterOffsets;
import io.nestor.testkit.TestUnitContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** Domains that do not fit the unit they are attached on, and the unit's own PASID width. */
class VtdAttachCompatibilityTest {

    @Test
    void aDomainWiderThanTheUnitIsRefused() {
        Features wide = Features.typical();
        wide.inputAddressBits = 57;
        wide.outputAddressBits = 52;
        DomainDescriptor fiveLevel = DRIVER.allocPagingDomain(upUnit(wide), IommuHwptAllocFlags.NEST_PARENT);
        DomainDescriptor dirty = DRIVER.allocPagingDomain(upUnit(Features.typical()), IommuHwptAllocFlags.DIRTY_TRACKING);

        Features narrow = Features.typical();
        narrow.dirtyTracking = false;
        TestUnitContext u = upUnit(narrow);
        int pages = u.livePages();
        fails(Errno.EINVAL, () -> DRIVER.attachDevice(u, DISK, fiveLevel));
        fails(Errno.EINVAL, () -> DRIVER.attachDevice(u, DISK, dirty));
        // a nested domain over a parent deeper than the unit: ENODEV, as intel_nested_attach_dev
        DomainDescriptor nested = new DomainDescriptor(true, 5, 0x5000, 48, 0,
                new VtdNestedDomainData(new IommuHwptVtdS1(0, 0x5000, 48, 0), fiveLevel).encode());
        fails(Errno.ENODEV, () -> DRIVER.attachDevice(u, DISK, nested));
        assertEquals(pages, u.livePages());
        assertNull(VtdDeviceTables.findContext(u, u.registers().read64(VtdRegisterOffsets.RTADDR) & ~0xFFFL,
                DISK.sourceId()), "no context entry was created");
    }

    @Test
    void theUnitsPasidWidthBoundsPasidAttach() {
        Features f = Features.typical();
        f.pasidBits = 10;
        TestUnitContext u = upUnit(f);
        DomainDescriptor d = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.PASID);
        fails(Errno.EINVAL, () -> DRIVER.attachPasid(u, NIC, 1 << 10, d));
        DRIVER.attachPasid(u, NIC, (1 << 10) - 1, d);
        // the directory is sized for the unit's 2^10 PASIDs: one page, PDTS 2
        VtdDeviceTables.Context c = VtdDeviceTables.findContext(u,
                u.registers().read64(VtdRegisterOffsets.RTADDR) & ~0xFFFL, NIC.sourceId());
        assertEquals(512, c.entry().pasidDirectoryEntries());

        Features none = Features.typical();
        none.pasidBits = 0;
        TestUnitContext noPasid = upUnit(none);
        DomainDescriptor e = DRIVER.allocPagingDomain(noPasid, 0);
        fails(Errno.EINVAL, () -> DRIVER.attachPasid(noPasid, NIC, 1, e));
        DRIVER.attachDevice(noPasid, NIC, e);
        VtdDeviceTables.Context nc = VtdDeviceTables.findContext(noPasid,
                noPasid.registers().read64(VtdRegisterOffsets.RTADDR) & ~0xFFFL, NIC.sourceId());
        assertEquals(0, nc.entry().q0() & 0x18, "neither PASIDE nor PRE without unit PASID support");
    }

    @Test
    void pagingFormatOfANestedDomainIsEinval() {
        TestUnitContext u = upUnit(Features.typical());
        DomainDescriptor parent = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT);
        DomainDescriptor n = DRIVER.allocNestedDomain(u, parent, 0, IommuHwptVtdS1.DATA_TYPE, s1(0, 0x5000, 48));
        fails(Errno.EINVAL, () -> DRIVER.pagingFormat(u, n));
        fails(Errno.EINVAL, () -> DRIVER.attachDevice(u, DISK, new DomainDescriptor(true, 9, 0, 48, 0, new byte[3])));
    }

    @Test
    void concurrentPasidAttachesShareOneContextAndPasidTable() throws Exception {
        TestUnitContext u = upUnit(Features.typical());
        DomainDescriptor d = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.PASID);
        int before = u.livePages();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 1; i <= 8; i++) {
            int pasid = i;
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    DRIVER.attachPasid(u, NIC, pasid, d);
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            threads.add(t);
            t.start();
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(List.of(), errors);
        assertEquals(before + 1 + 32 + 1, u.livePages(), "one context table, one directory, one PASID table");
        for (int pasid = 1; pasid <= 8; pasid++) {
            assertEquals(d.tag(), DRIVER.decodeConfig(u, NIC, pasid).domainTag());
        }
    }
}
