package io.nestor.driver.vtd.host;

import static io.nestor.driver.vtd.host.HostFixture.DRIVER;
import static io.nestor.driver.vtd.host.HostFixture.fails;
import static io.nestor.driver.vtd.host.HostFixture.unit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.driver.vtd.Features;
import io.nestor.driver.vtd.hw.format.VtdSecondStageFormat;
import io.nestor.testkit.TestUnitContext;
import org.junit.jupiter.api.Test;

class VtdPagingDomainsTest {

    @Test
    void domainsTakeDidsFromTwoAndAZeroedRootPage() {
        TestUnitContext u = unit();
        DomainDescriptor a = DRIVER.allocPagingDomain(u, 0);
        DomainDescriptor b = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT);
        assertEquals(2, a.tag());
        assertEquals(3, b.tag());
        assertFalse(a.nested());
        assertEquals(48, a.addressWidth());
        assertEquals(IommuHwptAllocFlags.NEST_PARENT, b.flags());
        assertTrue(u.isLivePage(a.rootAddress()));
        assertEquals(0, u.memory().read64(a.rootAddress() + 8 * 511));
        assertEquals(2, u.allocatedIds(VtdDomainIds.SPACE));
        assertEquals(2, u.livePages());
    }

    @Test
    void addressWidthFollowsSagawAndMgaw() {
        Features f = Features.typical();
        f.inputAddressBits = 57;
        f.outputAddressBits = 52;
        assertEquals(57, DRIVER.allocPagingDomain(unit(f), 0).addressWidth());
        f.inputAddressBits = 45; // SAGAW 39 only
        assertEquals(39, DRIVER.allocPagingDomain(unit(f), 0).addressWidth());
        f.inputAddressBits = 52; // SAGAW 39|48: agaw 48 bits
        assertEquals(48, DRIVER.allocPagingDomain(unit(f), 0).addressWidth());
    }

    @Test
    void pagingFormatMatchesTheDomain() {
        TestUnitContext u = unit();
        VtdSecondStageFormat plain = (VtdSecondStageFormat) DRIVER.pagingFormat(u, DRIVER.allocPagingDomain(u, 0));
        assertEquals(4, plain.levels());
        assertEquals(48, plain.inputAddressBits());
        assertEquals(46, plain.outputAddressBits());
        assertFalse(plain.accessedDirtyEnabled());
        VtdSecondStageFormat dirty = (VtdSecondStageFormat) DRIVER.pagingFormat(u,
                DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.DIRTY_TRACKING));
        assertTrue(dirty.accessedDirtyEnabled());
    }

    @Test
    void faultIdValidIsIommufdsAndPasidIsAccepted() {
        TestUnitContext u = unit();
        DomainDescriptor d = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.FAULT_ID_VALID | IommuHwptAllocFlags.PASID);
        assertEquals(2, d.tag());
    }

    @Test
    void refusedFlagsAllocateNothing() {
        Features noNest = Features.typical();
        noNest.nesting = false;
        noNest.dirtyTracking = false;
        TestUnitContext u = unit(noNest);
        fails(Errno.EOPNOTSUPP, () -> DRIVER.allocPagingDomain(u, 1 << 4));
        fails(Errno.EOPNOTSUPP, () -> DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT));
        fails(Errno.EOPNOTSUPP, () -> DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.DIRTY_TRACKING));
        assertEquals(0, u.livePages());
        assertEquals(0, u.allocatedIds(VtdDomainIds.SPACE));
    }

    @Test
    void didSpaceExhaustionIsEnospcWithoutLeak() {
        Features f = Features.typical();
        f.domainIdBits = 4; // 16 DIDs, 0 and 1 reserved
        TestUnitContext u = unit(f);
        for (int i = 0; i < 14; i++) {
            assertEquals(2 + i, DRIVER.allocPagingDomain(u, 0).tag());
        }
        fails(Errno.ENOSPC, () -> DRIVER.allocPagingDomain(u, 0));
        assertEquals(14, u.livePages());
        assertEquals(14, u.allocatedIds(VtdDomainIds.SPACE));
    }

    @Test
    void freeReturnsPageAndDid() {
        TestUnitContext u = unit();
        DomainDescriptor d = DRIVER.allocPagingDomain(u, 0);
        DRIVER.freeDomain(u, d);
        assertEquals(0, u.livePages());
        assertEquals(0, u.allocatedIds(VtdDomainIds.SPACE));
        assertEquals(2, DRIVER.allocPagingDomain(u, 0).tag(), "the DID is reused");
    }
}
