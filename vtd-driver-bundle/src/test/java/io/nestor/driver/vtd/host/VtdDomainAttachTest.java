package io.nestor.driver.vtd.host;

import static io.nestor.driver.vtd.host.HostFixture.DISK;
import static io.nestor.driver.vtd.host.HostFixture.DRIVER;
import static io.nestor.driver.vtd.host.HostFixture.NIC;
import static io.nestor.driver.vtd.host.HostFixture.SMALL;
import static io.nestor.driver.vtd.host.HostFixture.fails;
import static io.nestor.driver.vtd.host.HostFixture.s1;
import static io.nestor.driver.vtd.host.HostFixture.upUnit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.driver.vtd.Features;
import io.nestor.driver.vtd.hw.VtdContextEntry;
import io.nestor.driver.vtd.hw.VtdPasidEntry;
import io.nestor.driver.vtd.hw.VtdRegisterOffsets;
import io.nestor.driver.vtd.hw.VtdScalableFaultReason;
import io.nestor.driver.vtd.hw.format.VtdFirstStageFormat;
import io.nestor.testkit.TestUnitContext;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Attach writes entries the hardware half decodes back into the configuration that was asked for. */
class VtdDomainAttachTest {

    private static final int VTD_S1 = IommuHwptVtdS1.DATA_TYPE;

    private static long root(TestUnitContext u) {
        return u.registers().read64(VtdRegisterOffsets.RTADDR) & ~0xFFFL;
    }

    private static VtdDeviceTables.Context context(TestUnitContext u, DeviceInfo d) {
        return VtdDeviceTables.findContext(u, root(u), d.sourceId());
    }

    private static VtdPasidEntry entry(TestUnitContext u, DeviceInfo d, int pasid) {
        return VtdDeviceTables.readPasidEntry(u.memory(),
                VtdDeviceTables.pasidEntryAddress(u, context(u, d), pasid, false));
    }

    @Test
    void secondStageAttachRoundTrips() throws Exception {
        TestUnitContext u = upUnit(Features.typical());
        DomainDescriptor d = DRIVER.allocPagingDomain(u, 0);
        DRIVER.attachDevice(u, NIC, d);

        VtdContextEntry ce = context(u, NIC).entry();
        // P, DTE (ATS + ECAP.DT), PASIDE, PRE (PRI + PRS + PDS), PDTS 7 (2^14 directory entries, 2^20 PASIDs)
        assertEquals(0xE1DL, ce.q0() & 0xFFF);
        assertEquals(0, ce.ridPasid());
        assertEquals(1 << 14, ce.pasidDirectoryEntries());
        assertTrue(u.isLivePage(ce.pasidDirectoryPointer()));

        VtdPasidEntry pe = entry(u, NIC, 0);
        assertEquals(d.rootAddress() | (2 << 2) | (VtdPasidEntry.PGTT_SECOND_STAGE << 6) | 1, pe.qword(0));
        assertEquals(d.tag() | (1L << 23), pe.qword(1), "DID and PWSNP");
        for (int i = 2; i < 8; i++) {
            assertEquals(0, pe.qword(i));
        }

        TranslationConfig c = DRIVER.decodeConfig(u, NIC, DeviceInfo.NO_PASID);
        assertEquals(TranslationMode.STAGE2, c.mode());
        assertEquals(d.rootAddress(), c.stage2().rootAddress());
        assertEquals(48, c.stage2().format().inputAddressBits());
        assertEquals(d.tag(), c.domainTag());
        assertFalse(c.stage2().hardwareAccessedDirty());
        assertTrue(u.invalidations().isEmpty(), "a new entry needs no flush without Caching Mode");
    }

    @Test
    void contextEntriesFollowTheDevice() {
        TestUnitContext u = upUnit(Features.typical());
        DomainDescriptor d = DRIVER.allocPagingDomain(u, 0);
        DRIVER.attachDevice(u, DISK, d);
        DRIVER.attachDevice(u, SMALL, d);
        // DISK 03:1f.7 lives in the upper half of bus 3's root entry: no PASID, no ATS, PDTS 2
        assertEquals(0x401L, context(u, DISK).entry().q0() & 0xFFF);
        assertEquals(1L, u.memory().read64(root(u) + 3 * 16 + 8) & 1, "UP");
        assertEquals(0L, u.memory().read64(root(u) + 3 * 16) & 1, "LP untouched");
        assertEquals(0x409L, context(u, SMALL).entry().q0() & 0xFFF);
    }

    @Test
    void dirtyTrackingDomainEnablesSecondStageAccessedDirty() throws Exception {
        TestUnitContext u = upUnit(Features.typical());
        DomainDescriptor d = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.DIRTY_TRACKING);
        DRIVER.attachDevice(u, DISK, d);
        assertTrue(entry(u, DISK, 0).secondStageAccessedDirtyEnable());
        assertTrue(DRIVER.decodeConfig(u, DISK, DeviceInfo.NO_PASID).stage2().hardwareAccessedDirty());
    }

    @Test
    void nestedAttachRoundTrips() throws Exception {
        Features f = Features.typical();
        f.fiveLevelStage1 = true;
        TestUnitContext u = upUnit(f);
        DomainDescriptor parent = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT);
        DomainDescriptor n = DRIVER.allocNestedDomain(u, parent, 0, VTD_S1,
                s1(IommuHwptVtdS1.FLAG_SRE | IommuHwptVtdS1.FLAG_WPE, 0x7654_3000L, 57));
        DRIVER.attachDevice(u, NIC, n);

        VtdPasidEntry pe = entry(u, NIC, 0);
        assertEquals(VtdPasidEntry.PGTT_NESTED, pe.pgtt());
        assertEquals(0x7654_3000L | 1 | (1 << 2) | (1 << 4), pe.qword(2), "FSPTPTR, SRE, FSPM=5-level, WPE");
        assertEquals(parent.rootAddress(), pe.secondStagePointer());
        assertEquals(n.tag(), pe.domainId());

        TranslationConfig c = DRIVER.decodeConfig(u, NIC, DeviceInfo.NO_PASID);
        assertEquals(TranslationMode.NESTED, c.mode());
        assertEquals(0x7654_3000L, c.stage1().rootAddress());
        assertEquals(parent.rootAddress(), c.stage2().rootAddress());
        assertEquals(n.tag(), c.domainTag());
        assertEquals(0, c.addressSpaceTag(), "RID_PASID");
        VtdFirstStageFormat fs = (VtdFirstStageFormat) c.stage1().format();
        assertEquals(5, fs.levels());
        assertTrue(fs.writeProtectEnable());
    }

    @Test
    void wpeWithoutSreIsNotProgrammed() throws Exception {
        TestUnitContext u = upUnit(Features.typical());
        DomainDescriptor parent = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT);
        DomainDescriptor n = DRIVER.allocNestedDomain(u, parent, 0, VTD_S1,
                s1(IommuHwptVtdS1.FLAG_WPE, 0x8000L, 48));
        DRIVER.attachDevice(u, DISK, n);
        assertEquals(0x8000L, entry(u, DISK, 0).qword(2));
        assertEquals(4, DRIVER.decodeConfig(u, DISK, DeviceInfo.NO_PASID).stage1().format().levels());
    }

    @Test
    void passThroughAndFirstStageEntriesRoundTrip() throws Exception {
        TestUnitContext u = upUnit(Features.typical());
        VtdDomainAttach.attachPassThrough(u, DISK, DeviceInfo.NO_PASID);
        TranslationConfig pt = DRIVER.decodeConfig(u, DISK, DeviceInfo.NO_PASID);
        assertEquals(TranslationConfig.bypass(VtdDomainIds.FLPT_DEFAULT_DID), pt);

        VtdUnitCapabilities caps = VtdUnitCapabilities.read(u);
        VtdDeviceTables.Context ctx = VtdDeviceTables.ensureContext(u, caps, root(u), NIC);
        long fsRoot = u.allocatePages(1);
        VtdPasidSetup.install(u, caps, ctx, 9, VtdPasidSetup.firstStageEntry(caps, 1, fsRoot, false));
        TranslationConfig fs = DRIVER.decodeConfig(u, NIC, 9);
        assertEquals(TranslationMode.STAGE1, fs.mode());
        assertEquals(fsRoot, fs.stage1().rootAddress());
        assertEquals(9, fs.addressSpaceTag());
        assertEquals(1, fs.domainTag());
    }

    @Test
    void pasidAttachRoundTripsAndLeavesTheRidAlone() throws Exception {
        TestUnitContext u = upUnit(Features.typical());
        DomainDescriptor d = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.PASID);
        DRIVER.attachPasid(u, NIC, 0x12345, d);
        TranslationConfig c = DRIVER.decodeConfig(u, NIC, 0x12345);
        assertEquals(TranslationMode.STAGE2, c.mode());
        assertEquals(d.tag(), c.domainTag());
        // RID_PASID 0 lies under a directory entry no attach has filled
        FaultException e = assertThrows(FaultException.class, () -> DRIVER.decodeConfig(u, NIC, DeviceInfo.NO_PASID));
        assertEquals(VtdScalableFaultReason.SPD_NOT_PRESENT, e.fault().vendorReason());
    }

    @Test
    void pasidAttachChecksAndChangesNothingOnFailure() {
        TestUnitContext u = upUnit(Features.typical());
        DomainDescriptor d = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.PASID);
        DRIVER.attachPasid(u, NIC, 5, d);
        int pages = u.livePages();
        fails(Errno.EINVAL, () -> DRIVER.attachPasid(u, NIC, 0, d));
        fails(Errno.EINVAL, () -> DRIVER.attachPasid(u, DISK, 1, d));
        fails(Errno.EINVAL, () -> DRIVER.attachPasid(u, SMALL, 256, d));
        fails(Errno.EINVAL, () -> DRIVER.attachPasid(u, NIC, 1 << 20, d));
        fails(Errno.EBUSY, () -> DRIVER.attachPasid(u, NIC, 5, d));
        DomainDescriptor dirty = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.DIRTY_TRACKING);
        fails(Errno.EINVAL, () -> DRIVER.attachPasid(u, NIC, 6, dirty));
        assertEquals(pages + 1, u.livePages(), "only the dirty domain's root page");
        assertTrue(u.invalidations().isEmpty());
        DRIVER.attachPasid(u, SMALL, 255, d);
    }

    @Test
    void nestedAttachValidatesLikeIntelPasidSetupNested() {
        TestUnitContext u = upUnit(Features.typical()); // no FL5LP, no EAFS
        DomainDescriptor parent = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT);
        DRIVER.attachDevice(u, NIC, parent);
        long before = entry(u, NIC, 0).qword(0);
        int pages = u.livePages();
        for (byte[] bad : List.of(s1(0, 0x5000, 39), s1(0, 0x5000, 57), s1(IommuHwptVtdS1.FLAG_EAFE, 0x5000, 48))) {
            DomainDescriptor n = DRIVER.allocNestedDomain(u, parent, 0, VTD_S1, bad);
            fails(Errno.EINVAL, () -> DRIVER.attachDevice(u, NIC, n));
            fails(Errno.EINVAL, () -> DRIVER.attachPasid(u, NIC, 3, n));
        }
        assertEquals(pages, u.livePages());
        assertEquals(before, entry(u, NIC, 0).qword(0), "the RID keeps its domain");
        assertTrue(u.invalidations().isEmpty());
    }

    @Test
    void detachBlocksAndFlushesByPgtt() {
        TestUnitContext u = upUnit(Features.typical());
        DomainDescriptor d = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.PASID);
        DRIVER.attachDevice(u, NIC, d);
        DRIVER.detach(u, NIC, DeviceInfo.NO_PASID);
        FaultException e = assertThrows(FaultException.class, () -> DRIVER.decodeConfig(u, NIC, DeviceInfo.NO_PASID));
        assertEquals(VtdScalableFaultReason.SPT_NOT_PRESENT, e.fault().vendorReason());
        for (int i = 0; i < 8; i++) {
            assertEquals(0, entry(u, NIC, 0).qword(i), "cleared entry");
        }
        int did = d.tag();
        // PASID-selective PASID cache, domain-selective IOTLB (second stage); the device TLB has no scope;
        // then NIC's page requests are drained (PRE), with a PASID-based IOTLB invalidation
        assertEquals(List.of(new InvalidationScope.DomainConfig(0, did, 0), new InvalidationScope.DomainConfig(0, did, -1),
                new InvalidationScope.Domain(0, did), new InvalidationScope.AddressSpace(0, did, 0)), u.invalidations());

        u.invalidations().clear();
        VtdDomainAttach.attachPassThrough(u, NIC, 7);
        long base = u.registers().read64(VtdRegisterOffsets.IQA) & ~0xFFFL;
        long tail = u.registers().read64(VtdRegisterOffsets.IQT);
        DRIVER.detach(u, NIC, 7);
        assertEquals(List.of(new InvalidationScope.DomainConfig(0, 1, 7), new InvalidationScope.DomainConfig(0, 1, -1),
                new InvalidationScope.AddressSpace(0, 1, 7), new InvalidationScope.AddressSpace(0, 1, 7)),
                u.invalidations(), "PASID-based for pass-through, then the drain");
        // teardown: PASID cache, PASID IOTLB, PASID device TLB, wait; drain: fenced wait, PASID IOTLB,
        // PASID device TLB, wait with PD
        long drainWait = base + tail + 7 * 32;
        assertEquals(VtdQiDescriptor.TYPE_WAIT | VtdQiDescriptor.WAIT_FENCE, u.memory().read64(base + tail + 4 * 32) & 0xFF);
        assertEquals(VtdQiDescriptor.WAIT_PAGE_REQUEST_DRAIN | VtdQiDescriptor.WAIT_STATUS_WRITE | VtdQiDescriptor.TYPE_WAIT,
                u.memory().read64(drainWait) & 0xFF);

        u.invalidations().clear();
        DRIVER.detach(u, NIC, 7);
        DRIVER.detach(u, DISK, DeviceInfo.NO_PASID);
        assertTrue(u.invalidations().isEmpty(), "detaching what is not attached is a no-op");
    }

    @Test
    void attachingTheRidAgainReplacesWithATearDown() throws Exception {
        TestUnitContext u = upUnit(Features.typical());
        DomainDescriptor a = DRIVER.allocPagingDomain(u, 0);
        DomainDescriptor b = DRIVER.allocPagingDomain(u, 0);
        DRIVER.attachDevice(u, DISK, a);
        DRIVER.attachDevice(u, DISK, b);
        assertEquals(b.tag(), DRIVER.decodeConfig(u, DISK, DeviceInfo.NO_PASID).domainTag());
        assertEquals(new InvalidationScope.Domain(0, a.tag()), u.invalidations().get(2));
    }

    @Test
    void cachingModeFlushesNewEntries() {
        Features f = Features.typical();
        f.cachingMode = true;
        TestUnitContext u = upUnit(f);
        DomainDescriptor d = DRIVER.allocPagingDomain(u, 0);
        DRIVER.attachDevice(u, DISK, d);
        int did = d.tag();
        assertEquals(List.of(
                // context entry: device-selective context cache, domain-selective IOTLB for DID 0
                new InvalidationScope.DeviceConfig(0, DISK.sourceId(), InvalidationScope.ANY),
                new InvalidationScope.Domain(0, 0),
                // PASID entry: PASID-selective PASID cache, PASID-based IOTLB
                new InvalidationScope.DomainConfig(0, did, 0), new InvalidationScope.DomainConfig(0, did, -1),
                new InvalidationScope.AddressSpace(0, did, 0)), u.invalidations());
    }

    @Test
    void attachFreeDetachLeavesOnlyTheDevicesStructures() {
        TestUnitContext u = upUnit(Features.typical());
        int base = u.livePages();
        DomainDescriptor parent = DRIVER.allocPagingDomain(u, IommuHwptAllocFlags.NEST_PARENT);
        DomainDescriptor n = DRIVER.allocNestedDomain(u, parent, 0, VTD_S1, s1(0, 0x5000, 48));
        DRIVER.attachDevice(u, NIC, n);
        int device = u.livePages() - base - 1; // context table, directory (32 pages), one PASID table
        assertEquals(1 + 32 + 1, device);
        DRIVER.detach(u, NIC, DeviceInfo.NO_PASID);
        DRIVER.freeDomain(u, n);
        DRIVER.freeDomain(u, parent);
        assertEquals(base + device, u.livePages());
        assertEquals(0, u.allocatedIds(VtdDomainIds.SPACE));
    }
}
