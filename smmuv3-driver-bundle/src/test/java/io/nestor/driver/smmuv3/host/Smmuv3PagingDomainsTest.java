package io.nestor.driver.smmuv3.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.driver.smmuv3.Features;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Stage-2 paging domains: flag rules with the kernel's errno, geometry, VMIDs, leaks. */
class Smmuv3PagingDomainsTest {

    private static final int NEST_PARENT = 1;
    private static final int DIRTY = 2;
    private static final int FAULT_ID_VALID = 4;
    private static final int PASID = 8;

    private static void assertErrno(Errno errno, HostFixture f, int flags) {
        int pages = f.unit.livePages();
        int vmids = f.unit.allocatedIds("vmid");
        IommuException e = assertThrows(IommuException.class, () -> f.driver.allocPagingDomain(f.unit, flags));
        assertEquals(errno, e.errno(), e.getMessage());
        assertEquals(pages, f.unit.livePages(), "no pages taken");
        assertEquals(vmids, f.unit.allocatedIds("vmid"), "no VMID taken");
    }

    @Test
    void flagsOutsideThePagingSetAreRefused() {
        HostFixture f = HostFixture.typical();
        assertErrno(Errno.EOPNOTSUPP, f, 1 << 4);
        assertErrno(Errno.EOPNOTSUPP, f, ~NEST_PARENT);
    }

    @Test
    void nestParentCombinedWithAnotherFlagIsRefused() {
        HostFixture f = HostFixture.typical();
        assertErrno(Errno.EOPNOTSUPP, f, NEST_PARENT | DIRTY);
        assertErrno(Errno.EOPNOTSUPP, f, NEST_PARENT | PASID);
    }

    @Test
    void nestParentNeedsBothStages() {
        Features features = Features.typical();
        features.nesting = false; // IDR0.S2P follows nesting
        HostFixture f = new HostFixture(features);
        assertErrno(Errno.EOPNOTSUPP, f, NEST_PARENT);
        assertErrno(Errno.EOPNOTSUPP, f, 0); // and without S2P there is no stage-2 paging domain at all
    }

    @Test
    void dirtyTrackingNeedsHttuAccessAndDirty() {
        Features features = Features.typical();
        features.dirtyTracking = false;
        assertErrno(Errno.EOPNOTSUPP, new HostFixture(features), DIRTY);
        HostFixture capable = HostFixture.typical();
        DomainDescriptor d = capable.driver.allocPagingDomain(capable.unit, DIRTY);
        assertEquals(DIRTY, d.flags());
    }

    @Test
    void faultIdValidIsIommufdsAndIgnored() {
        HostFixture f = HostFixture.typical();
        DomainDescriptor d = f.driver.allocPagingDomain(f.unit, NEST_PARENT | FAULT_ID_VALID);
        assertFalse(d.nested());
    }

    @Test
    void aDomainIsAVmidAndARootTable() {
        HostFixture f = HostFixture.typical();
        DomainDescriptor a = f.driver.allocPagingDomain(f.unit, NEST_PARENT);
        DomainDescriptor b = f.driver.allocPagingDomain(f.unit, 0);
        assertEquals(1, a.tag(), "VMID 0 is kept for bypass STEs");
        assertEquals(2, b.tag());
        assertEquals(48, a.addressWidth());
        assertEquals(NEST_PARENT, a.flags());
        assertArrayEquals(new byte[0], a.vendorData());
        assertTrue(f.unit.isLivePage(a.rootAddress()));
        assertEquals(2, f.unit.livePages(), "one 4 KiB root each: 4 KiB granule, 48-bit IPA, level 0 start");
        assertEquals(2, f.unit.allocatedIds("vmid"));
    }

    @Test
    void fourKiloByteGranuleFortyEightBitFormat() {
        HostFixture f = HostFixture.typical();
        PageTableFormat format = f.driver.pagingFormat(f.unit, f.driver.allocPagingDomain(f.unit, 0));
        assertEquals(12, format.granuleShift());
        assertEquals(4, format.levels());
        assertEquals(48, format.inputAddressBits());
        assertEquals(48, format.outputAddressBits());
        assertEquals(1, format.rootTableCount());
    }

    @Test
    void fortyBitOutputConcatenatesTwoLevelOneRoots() {
        Features features = Features.typical();
        features.outputAddressBits = 40;
        HostFixture f = new HostFixture(features);
        DomainDescriptor d = f.driver.allocPagingDomain(f.unit, 0);
        PageTableFormat format = f.driver.pagingFormat(f.unit, d);
        // 28 bits above the page offset need 4 levels with a 2-entry level 0: io-pgtable walks 3
        // levels from 2 concatenated level-1 tables instead
        assertEquals(3, format.levels());
        assertEquals(2, format.rootTableCount());
        assertEquals(40, d.addressWidth());
        assertEquals(2, f.unit.livePages());
        assertEquals(0, d.rootAddress() & 0x1FFF, "concatenated roots aligned to their 8 KiB");
    }

    @Test
    void sixtyFourKiloByteOnlyUnit() {
        Features features = Features.typical();
        features.pageSizes = UnitFeatures.SIZE_64K | UnitFeatures.SIZE_512M;
        HostFixture f = new HostFixture(features);
        DomainDescriptor d = f.driver.allocPagingDomain(f.unit, 0);
        PageTableFormat format = f.driver.pagingFormat(f.unit, d);
        assertEquals(16, format.granuleShift());
        assertEquals(3, format.levels());
        assertEquals(16, f.unit.livePages(), "one 64 KiB root table");
    }

    @Test
    void vmidExhaustionIsEnospcWithNothingLeaked() {
        Features features = Features.typical();
        features.domainIdBits = 8;
        HostFixture f = new HostFixture(features);
        for (int i = 1; i <= 255; i++) {
            assertEquals(i, f.driver.allocPagingDomain(f.unit, 0).tag());
        }
        assertErrno(Errno.ENOSPC, f, 0);
    }

    @Test
    void freeFlushesTheVmidAndReturnsRootAndVmid() {
        HostFixture f = HostFixture.typical();
        DomainDescriptor d = f.driver.allocPagingDomain(f.unit, 0);
        f.driver.attachDevice(f.unit, HostFixture.device(3, false, false), d);
        f.driver.detach(f.unit, HostFixture.device(3, false, false), -1);
        int pages = f.unit.livePages();
        int mark = f.commands().size();
        f.unit.invalidations().clear();
        f.driver.freeDomain(f.unit, d);
        assertEquals(pages - 1, f.unit.livePages());
        assertFalse(f.unit.isLivePage(d.rootAddress()));
        assertEquals(0, f.unit.allocatedIds("vmid"));
        List<Smmuv3Command> cmds = f.commandsSince(mark);
        assertEquals(List.of(Smmuv3Command.TLBI_S12_VMALL, Smmuv3Command.SYNC), f.opcodesSince(mark));
        assertEquals(d.tag(), (int) cmds.get(0).field0(Smmuv3Command.TLBI_VMID));
        assertEquals(List.of(new InvalidationScope.Domain(0, d.tag())), f.unit.invalidations());
    }

    @Test
    void freeBeforeBringUpIssuesNothing() {
        HostFixture f = HostFixture.typical();
        DomainDescriptor d = f.driver.allocPagingDomain(f.unit, 0);
        f.driver.freeDomain(f.unit, d);
        assertEquals(0, f.unit.livePages());
        assertEquals(0, f.unit.allocatedIds("vmid"));
        assertTrue(f.commands().isEmpty());
    }
}
