package io.nestor.core.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.iommufd.ContextOptions;
import io.nestor.core.iommufd.IommufdContext;
import io.nestor.core.topology.TopologyFile;
import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Container-level ioctls: API version, CHECK_EXTENSION, groups, SET_IOMMU and the unset state. */
class VfioContainerSetupTest {
    private final VfioFixture f = new VfioFixture();

    @Test
    void apiVersionIsZero() {
        assertEquals(0, f.container().apiVersion());
    }

    @Test
    void checkExtensionAnswersTypeOneWithOrWithoutABackend() {
        VfioContainer c = f.container();
        int[][] before = {{1, 1}, {2, 0}, {3, 1}, {4, 0}, {5, 0}, {6, 1}, {7, 0}, {8, 0}, {9, 1}, {10, 0}, {11, 0}};
        for (int[] e : before) {
            assertEquals(e[1], c.checkExtension(e[0]), "extension " + e[0] + " without a backend");
        }
        c.setContainer(0);
        c.setIommu(VfioExtension.TYPE1V2_IOMMU);
        assertEquals(1, c.checkExtension(VfioExtension.DMA_CC_IOMMU), "every domain is coherent once one exists");
        assertEquals(1, c.checkExtension(VfioExtension.TYPE1_IOMMU));
        assertEquals(0, c.checkExtension(VfioExtension.UPDATE_VADDR));
        assertEquals(1, c.checkExtension(VfioExtension.TYPE1_NESTING_IOMMU));
    }

    @Test
    void nestingExtensionFollowsTheUnitsNestingCapability() throws Exception {
        String topo = "[unit dmar0]\nkind = intel-vtd\nnesting = false\npasid-bits = 20\n"
                + "[device 0000:00:02.0]\nunit = dmar0\npasid-bits = 20\n"
                + "[unit dmar1]\nkind = intel-vtd\nnesting = true\npasid-bits = 20\n"
                + "[device 0000:00:03.0]\nunit = dmar1\npasid-bits = 20\n";
        f.registry.replaceTopology(TopologyFile.parse(new StringReader(topo), "t.ini"));
        VfioContainer c = f.container();
        assertEquals(0, c.checkExtension(VfioExtension.TYPE1_NESTING_IOMMU), "not every unit nests");
        c.setContainer(1);
        assertEquals(1, c.checkExtension(VfioExtension.TYPE1_NESTING_IOMMU), "the container's only unit nests");
        VfioContainer other = f.container();
        other.setContainer(0);
        f.assertFailsUnchanged(Errno.ENODEV, other, () -> other.setIommu(VfioExtension.TYPE1_NESTING_IOMMU));
        other.setIommu(VfioExtension.TYPE1V2_IOMMU);
    }

    @Test
    void groupsAreExclusive() {
        VfioContainer a = f.container();
        a.setContainer(0);
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> a.setContainer(0)).errno());
        VfioContainer b = f.container();
        f.assertFailsUnchanged(Errno.EINVAL, b, () -> b.setContainer(0)); // same session, other container
        VfioContainer stranger = f.stranger(new Object(), null);
        f.assertFailsUnchanged(Errno.EBUSY, stranger, () -> stranger.setContainer(0));
        int groups = f.registry.topology().devices().size();
        f.assertFailsUnchanged(Errno.ENOENT, b, () -> b.setContainer(groups));
        f.assertFailsUnchanged(Errno.ENOENT, b, () -> b.setContainer(-1));
        f.assertFailsUnchanged(Errno.EINVAL, b, () -> b.unsetContainer(0));
        a.unsetContainer(0);
        stranger.setContainer(0);
        assertEquals(List.of(0), stranger.groups());
        assertEquals(stranger, f.groups.holder(0).orElseThrow());
    }

    @Test
    void aDeviceIsEitherInAContainerOrBoundToAnIommufdContext() {
        IommufdContext iommufd = new IommufdContext(ContextOptions.defaults(), f.regions, f.platform);
        int devId = iommufd.devices().bind("0000:00:02.0");
        VfioContainer c = f.container();
        f.assertFailsUnchanged(Errno.EBUSY, c, () -> c.setContainer(0)); // the DMA-ownership claim
        assertTrue(f.groups.holder(0).isEmpty());
        iommufd.devices().unbind(devId);
        c.setContainer(0);
        assertEquals(Errno.EBUSY,
                assertThrows(IommuException.class, () -> iommufd.devices().bind("0000:00:02.0")).errno());
        c.close();
        iommufd.devices().bind("0000:00:02.0");
        iommufd.close();
    }

    @Test
    void setIommuChecksInTheKernelsOrder() {
        VfioContainer c = f.container();
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.setIommu(VfioExtension.TYPE1V2_IOMMU)); // no group yet
        c.setContainer(0);
        f.assertFailsUnchanged(Errno.ENODEV, c, () -> c.setIommu(VfioExtension.SPAPR_TCE_IOMMU));
        f.assertFailsUnchanged(Errno.ENODEV, c, () -> c.setIommu(VfioExtension.DMA_CC_IOMMU));
        f.assertFailsUnchanged(Errno.ENODEV, c, () -> c.setIommu(VfioExtension.UPDATE_VADDR));
        f.assertFailsUnchanged(Errno.ENODEV, c, () -> c.setIommu(99));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.setIommu(VfioExtension.UNMAP_ALL)); // type1 cannot open it
        long pages = f.structurePages();
        c.setIommu(VfioExtension.TYPE1V2_IOMMU);
        assertTrue(c.iommuSet());
        assertTrue(f.structurePages() > pages, "the unit's domain has a table");
        assertEquals(List.of("alloc 2", "attach 0000:00:02.0"), f.vtd.ops(), "DIRTY_TRACKING: dmar0 has it");
        // vfio_ioctl_set_iommu: a second SET_IOMMU is EINVAL, whatever the type
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.setIommu(VfioExtension.TYPE1V2_IOMMU));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.setIommu(VfioExtension.TYPE1_NESTING_IOMMU));
    }

    @Test
    void ioctlsOfTheBackendAreEinvalWithoutOne() {
        VfioContainer c = f.container();
        c.setContainer(0);
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.getInfo(64));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.mapDma(VfioFixture.RW, VfioFixture.VA, 0, 4096));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.unmapDma(0, 0, 4096, null));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.dirtyPages(VfioDmaFlags.DIRTY_PAGES_START, 0, 0, null));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.nestingOp(0, new byte[72], null));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.pasidRequest(VfioNestingOps.PASID_ALLOC, 1, 10));
    }

    @Test
    void groupsJoiningLaterAttachAndAUnitKeepsOneDomain() {
        VfioContainer c = f.container(0, VfioExtension.TYPE1V2_IOMMU);
        c.setContainer(1); // same unit: same domain
        c.setContainer(4); // smmu0: a domain of its own
        assertEquals(List.of("alloc 2", "attach 0000:00:02.0", "attach 0000:00:03.0"), f.vtd.ops());
        assertEquals(List.of("alloc 2", "attach 0001:00:01.0"), f.smmu.ops());
        assertEquals(f.vtd.attached.get("0000:00:02.0"), f.vtd.attached.get("0000:00:03.0"));
        assertTrue(c.hwptId("smmu0") != 0);
        c.unsetContainer(4);
        assertEquals(0, c.hwptId("smmu0"));
        assertTrue(f.smmu.ops().contains("detach 0001:00:01.0"));
        assertTrue(f.smmu.ops().stream().anyMatch(s -> s.startsWith("free ")));
    }

    @Test
    void aFailingAttachLeavesNothing() {
        VfioContainer c = f.container(0, VfioExtension.TYPE1V2_IOMMU);
        f.smmu.failures.put("attach 0001:00:01.0", Errno.EINVAL);
        long pages = f.structurePages();
        f.assertFailsRolledBack(Errno.EINVAL, c, () -> c.setContainer(4));
        assertEquals(List.of("alloc 2", "free 1"), f.smmu.ops());
        assertEquals(pages, f.structurePages(), "the new domain's tables and root went back");
        assertTrue(f.groups.holder(4).isEmpty());
        assertEquals(0, f.unit("smmu0").allocatedIds("did"));
    }

    @Test
    void aFailingSetIommuUndoesTheGroupsAttachedBeforeIt() {
        VfioContainer c = f.container();
        c.setContainer(0);
        c.setContainer(4);
        f.smmu.failures.put("attach 0001:00:01.0", Errno.ENODEV);
        long pages = f.structurePages();
        assertEquals(Errno.ENODEV,
                assertThrows(IommuException.class, () -> c.setIommu(VfioExtension.TYPE1V2_IOMMU)).errno());
        assertFalse(c.iommuSet());
        assertEquals(pages, f.structurePages());
        assertTrue(f.vtd.attached.isEmpty(), "dmar0's device was detached again");
        assertEquals(0, f.unit("dmar0").allocatedIds("did"));
    }

    @Test
    void theLastGroupLeavingReleasesTheBackend() {
        VfioContainer c = f.container(0, VfioExtension.TYPE1V2_IOMMU);
        long pagesBefore = f.registry.structurePages().livePages();
        c.mapDma(VfioFixture.RW, VfioFixture.VA, 0x10_0000, 0x4000);
        assertEquals(1, f.regions.totalPins());
        c.unsetContainer(0);
        assertFalse(c.iommuSet());
        assertEquals(0, f.regions.totalPins(), "the mapping's pin went back");
        assertTrue(f.registry.structurePages().livePages() < pagesBefore, "the domain's tables went back");
        assertEquals(0, f.unit("dmar0").allocatedIds("did"));
        f.assertFailsUnchanged(Errno.EINVAL, c, () -> c.getInfo(64)); // unset state again
        c.setContainer(0);
        c.setIommu(VfioExtension.TYPE1_IOMMU);
        assertTrue(c.mappings().isEmpty());
    }

    @Test
    void closeFreesEverythingAndLaterCallsAreEbadf() {
        long pages = f.structurePages();
        VfioContainer c = f.container(0, VfioExtension.TYPE1V2_IOMMU);
        c.setContainer(1);
        c.setContainer(5);
        c.mapDma(VfioFixture.RW, VfioFixture.VA, 0x10_0000, 0x20_0000);
        c.mapDma(VfioDmaFlags.MAP_READ, VfioFixture.VA + VfioFixture.REGION, 0x80_0000, 0x1000);
        c.close();
        assertEquals(pages, f.structurePages(), "every table page went back");
        assertEquals(0, f.regions.totalPins());
        assertEquals(0, f.unit("dmar0").allocatedIds("did"));
        assertEquals(0, f.unit("smmu0").allocatedIds("did"));
        assertTrue(f.vtd.attached.isEmpty() && f.smmu.attached.isEmpty());
        assertTrue(f.groups.holder(0).isEmpty() && f.groups.holder(5).isEmpty());
        assertEquals(Errno.EBADF, assertThrows(IommuException.class, () -> c.checkExtension(1)).errno());
        c.close(); // idempotent
        f.regions.destroyRegion(1); // nothing holds the memory
    }
}
