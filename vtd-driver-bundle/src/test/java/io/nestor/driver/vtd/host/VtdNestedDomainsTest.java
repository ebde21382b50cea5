package io.nestor.driver.vtd.host;

import static io.nestor.driver.vtd.host.HostFixture.DRIVER;
import static io.nestor.driver.vtd.host.HostFixture.fails;
import static io.nestor.driver.vtd.host.HostFixture.s1;
import static io.nestor.driver.vtd.host.HostFixture.unit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.driver.vtd.Features;
import io.nestor.testkit.TestUnitContext;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class VtdNestedDomainsTest {

    private static final int VTD_S1 = IommuHwptVtdS1.DATA_TYPE;

    @Test
    void nestedDomainKeepsTheUserStructAndItsParent() {
        TestUnitContext u = unit();
        DomainDescriptor parent = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT);
        byte[] data = s1(IommuHwptVtdS1.FLAG_SRE | IommuHwptVtdS1.FLAG_WPE, 0x1234_5000L, 48);
        DomainDescriptor n = DRIVER.allocNestedDomain(u, parent, IommuHwptAllocFlags.PASID, VTD_S1, data);
        assertTrue(n.nested());
        assertEquals(3, n.tag(), "its own DID");
        assertEquals(0x1234_5000L, n.rootAddress());
        assertEquals(48, n.addressWidth());
        VtdNestedDomainData back = VtdNestedDomainData.of(n);
        assertEquals(IommuHwptVtdS1.parse(data), back.s1());
        assertEquals(parent.tag(), back.parent().tag());
        assertEquals(parent.rootAddress(), back.parent().rootAddress());
        assertEquals(parent.addressWidth(), back.parent().addressWidth());
        assertEquals(parent.flags(), back.parent().flags());
        assertTrue(Arrays.equals(data, Arrays.copyOf(n.vendorData(), 24)));
    }

    @Test
    void addressWidthAndFlagsAreCheckedAtAttachNotAtAllocationAsInLinux() {
        TestUnitContext u = unit();
        DomainDescriptor parent = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT);
        DomainDescriptor n = DRIVER.allocNestedDomain(u, parent, IommuHwptAllocFlags.FAULT_ID_VALID, VTD_S1,
                s1(1L << 9, 0x5000, 39));
        assertEquals(39, n.addressWidth());
    }

    @Test
    void checksRunInTheKernelsOrderAndChangeNothing() {
        Features noNest = Features.typical();
        noNest.nesting = false;
        TestUnitContext plain = unit(noNest);
        DomainDescriptor p0 = DRIVER.allocPagingDomain(plain, 0);
        fails(Errno.EOPNOTSUPP, () -> DRIVER.allocNestedDomain(plain, p0, 0, VTD_S1, s1(0, 0x5000, 48)));

        TestUnitContext u = unit();
        DomainDescriptor parent = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT);
        DomainDescriptor notParent = DRIVER.allocPagingDomain(u, 0);
        int ids = u.allocatedIds(VtdDomainIds.SPACE);
        // flags before type, type before parent, parent before length
        fails(Errno.EOPNOTSUPP, () -> DRIVER.allocNestedDomain(u, notParent, IommuHwptAllocFlags.NEST_PARENT, 7,
                new byte[3]));
        fails(Errno.EOPNOTSUPP, () -> DRIVER.allocNestedDomain(u, notParent, 0, 2, new byte[3]));
        fails(Errno.EINVAL, () -> DRIVER.allocNestedDomain(u, notParent, 0, VTD_S1, new byte[3]));
        DomainDescriptor nested = DRIVER.allocNestedDomain(u, parent, 0, VTD_S1, s1(0, 0x5000, 48));
        fails(Errno.EINVAL, () -> DRIVER.allocNestedDomain(u, nested, 0, VTD_S1, s1(0, 0x5000, 48)));
        fails(Errno.EINVAL, () -> DRIVER.allocNestedDomain(u, parent, 0, VTD_S1, new byte[23]));
        fails(Errno.EINVAL, () -> DRIVER.allocNestedDomain(u, parent, 0, VTD_S1, new byte[25]));
        assertEquals(ids + 1, u.allocatedIds(VtdDomainIds.SPACE));
        assertEquals(2, u.livePages());
    }

    @Test
    void freeReturnsOnlyTheNestedDid() {
        TestUnitContext u = unit();
        DomainDescriptor parent = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT);
        DomainDescriptor n = DRIVER.allocNestedDomain(u, parent, 0, VTD_S1, s1(0, 0x5000, 48));
        DRIVER.freeDomain(u, n);
        assertEquals(1, u.allocatedIds(VtdDomainIds.SPACE));
        assertEquals(1, u.livePages());
        DRIVER.freeDomain(u, parent);
        assertEquals(0, u.allocatedIds(VtdDomainIds.SPACE));
        assertEquals(0, u.livePages());
    }
}
