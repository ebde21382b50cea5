package io.nestor.driver.vtd.host;

import static io.nestor.driver.vtd.host.HostFixture.DRIVER;
import static io.nestor.driver.vtd.host.HostFixture.NIC;
import static io.nestor.driver.vtd.host.HostFixture.SMALL;
import static io.nestor.driver.vtd.host.HostFixture.fails;
import static io.nestor.driver.vtd.host.HostFixture.upUnit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.driver.vtd.Features;
import io.nestor.driver.vtd.hw.VtdScalableFaultReason;
import io.nestor.driver.vtd.hw.format.VtdFirstStageFormat;
import io.nestor.testkit.TestUnitContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VtdGuestPasidBindingTest {

    private TestUnitContext u;
    private DomainDescriptor parent;

    private static IommuGpasidBindData data(long hpasid, long vtdFlags, int addrWidth) {
        return new IommuGpasidBindData(IommuGpasidBindData.SIZE, 1, IommuGpasidBindData.FORMAT_INTEL_VTD, addrWidth,
                IommuGpasidBindData.GPASID_VAL, 0x6000_0000L, hpasid, 7, vtdFlags, 0, 0);
    }

    private static byte[] with(byte[] bytes, int offset, long value, int size) {
        byte[] copy = bytes.clone();
        ByteBuffer b = ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN);
        if (size == 4) {
            b.putInt(offset, (int) value);
        } else {
            b.putLong(offset, value);
        }
        return copy;
    }

    @BeforeEach
    void setUp() {
        u = upUnit(Features.typical());
        parent = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT);
        DRIVER.attachDevice(u, NIC, parent);
        u.invalidations().clear();
    }

    @Test
    void bindWritesANestedEntryOverTheParent() throws Exception {
        DRIVER.bindGuestPasid(u, NIC, parent,
                data(0x300, IommuGpasidBindData.VTD_SRE | IommuGpasidBindData.VTD_WPE, 48).encode());
        TranslationConfig c = DRIVER.decodeConfig(u, NIC, 0x300);
        assertEquals(TranslationMode.NESTED, c.mode());
        assertEquals(0x6000_0000L, c.stage1().rootAddress());
        assertEquals(parent.rootAddress(), c.stage2().rootAddress());
        assertEquals(parent.tag(), c.domainTag(), "the container's DID, as the vSVA series programmed it");
        assertEquals(0x300, c.addressSpaceTag());
        assertTrue(((VtdFirstStageFormat) c.stage1().format()).writeProtectEnable());
        assertTrue(u.invalidations().isEmpty());
    }

    @Test
    void unbindTearsDownAndIsIdempotent() {
        byte[] bind = data(0x300, 0, 48).encode();
        DRIVER.bindGuestPasid(u, NIC, parent, bind);
        DRIVER.unbindGuestPasid(u, NIC, parent, bind);
        FaultException e = assertThrows(FaultException.class, () -> DRIVER.decodeConfig(u, NIC, 0x300));
        assertEquals(VtdScalableFaultReason.SPT_NOT_PRESENT, e.fault().vendorReason());
        int did = parent.tag();
        // nested teardown: PASID cache, domain-selective IOTLB (NIC's device-TLB descriptor has no scope),
        // then the page-request drain's PASID-based IOTLB invalidation
        assertEquals(List.of(new InvalidationScope.DomainConfig(0, did, 0x300), new InvalidationScope.DomainConfig(0, did, -1),
                new InvalidationScope.Domain(0, did), new InvalidationScope.AddressSpace(0, did, 0x300)), u.invalidations());
        u.invalidations().clear();
        DRIVER.unbindGuestPasid(u, NIC, parent, bind);
        assertTrue(u.invalidations().isEmpty());
    }

    @Test
    void unbindOfSomethingElseIsRefused() {
        DomainDescriptor other = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT);
        DRIVER.bindGuestPasid(u, NIC, other, data(0x300, 0, 48).encode());
        fails(Errno.EINVAL, () -> DRIVER.unbindGuestPasid(u, NIC, parent, data(0x300, 0, 48).encode()));
    }

    @Test
    void everyBindRuleHasItsErrnoAndChangesNothing() {
        byte[] good = data(0x300, 0, 48).encode();
        int pages = u.livePages();
        // IOMMU core: argsz, version, format, flags, padding
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, parent, with(good, 0, 55, 4)));
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, parent, with(good, 0, 71, 4)));
        fails(Errno.EFAULT, () -> DRIVER.bindGuestPasid(u, NIC, parent, Arrays.copyOf(good, 64)));
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, parent, with(good, 4, 2, 4)));
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, parent, with(good, 8, 2, 4)));
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, parent, with(good, 8, 0, 4)));
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, parent, with(good, 16, 2, 8)));
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, parent, with(good, 48, 1, 8)));
        // VT-d driver
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, parent, data(0x300, 1 << 7, 48).encode()));
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, SMALL, parent, data(0x30, 0, 48).encode()));
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, parent, data(0, 0, 48).encode()));
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, parent, data(1 << 20, 0, 48).encode()));
        DomainDescriptor plain = DRIVER.allocPagingDomain(u, 0);
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, plain, good));
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, parent, data(0x300, 0, 57).encode()));
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, parent, data(0x300, 0, 39).encode()));
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, parent, with(good, 24, 1L << 48, 8)));
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, parent,
                data(0x300, IommuGpasidBindData.VTD_EAFE, 48).encode()));
        fails(Errno.EINVAL, () -> DRIVER.bindGuestPasid(u, NIC, parent,
                data(0x300, IommuGpasidBindData.VTD_PCD, 48).encode()));
        assertEquals(pages + 1, u.livePages(), "only the plain domain's root");
        assertTrue(u.invalidations().isEmpty());
        DRIVER.bindGuestPasid(u, NIC, parent, good);
        fails(Errno.EBUSY, () -> DRIVER.bindGuestPasid(u, NIC, parent, good));
    }

    @Test
    void aLongerArgszIsAccepted() throws Exception {
        byte[] longer = Arrays.copyOf(with(data(0x301, 0, 48).encode(), 0, 80, 4), 80);
        DRIVER.bindGuestPasid(u, NIC, parent, longer);
        assertEquals(TranslationMode.NESTED, DRIVER.decodeConfig(u, NIC, 0x301).mode());
    }
}
