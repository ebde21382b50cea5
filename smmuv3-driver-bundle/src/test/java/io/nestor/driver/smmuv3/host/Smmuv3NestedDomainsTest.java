package io.nestor.driver.smmuv3.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.ViommuDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.driver.smmuv3.Features;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.Test;

/**
 * vIOMMU and nested domains: vIOMMU rules, every rule of the guest-STE validation with its errno
 * and no state change, the nested STE written on attach and what the hardware decodes from it.
 */
class Smmuv3NestedDomainsTest {

    private static final int SID = 0x42;
    private static final int DATA_ARM_SMMUV3 = 2;
    /** Guest CD table (IPA = PA under the test kit's identity stage-2 fetch). */
    private static final long CD_TABLE = 0x5000_0000L;
    private static final long GUEST_TTB0 = 0x6000_0000L;

    private final HostFixture f = HostFixture.typical();
    private final DeviceInfo device = HostFixture.device(SID, false, false);
    private final DomainDescriptor parent = f.driver.allocPagingDomain(f.unit, 1);

    private static byte[] vste(long ste0, long ste1) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(ste0).putLong(ste1).array();
    }

    /** Guest STE word 0: V, Config = 0b101, S1ContextPtr = CD_TABLE, S1CDMax 0. */
    private static long s1Trans() {
        return 1 | 5L << 1 | CD_TABLE;
    }

    private void assertNoStateChange(Errno errno, Executable call) {
        int pages = f.unit.livePages();
        int vmids = f.unit.allocatedIds("vmid");
        int commands = f.commands().size();
        IommuException e = assertThrows(IommuException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
        assertEquals(pages, f.unit.livePages());
        assertEquals(vmids, f.unit.allocatedIds("vmid"));
        assertEquals(commands, f.commands().size());
    }

    // ---- vIOMMU ------------------------------------------------------------------------------

    @Test
    void viommuOwnsAVmidOfItsOwn() {
        ViommuDescriptor v = f.driver.allocViommu(f.unit, parent, ViommuDescriptor.TYPE_ARM_SMMUV3, new byte[0]);
        assertEquals(ViommuDescriptor.TYPE_ARM_SMMUV3, v.type());
        assertNotEquals(parent.tag(), v.tag());
        assertEquals(2, f.unit.allocatedIds("vmid"));
        assertEquals(parent, v.parent());
    }

    @Test
    void viommuRules() {
        assertNoStateChange(Errno.EOPNOTSUPP, () -> f.driver.allocViommu(f.unit, parent, 0, new byte[0]));
        assertNoStateChange(Errno.EOPNOTSUPP, () -> f.driver.allocViommu(f.unit, parent, 2, new byte[0]));
        DomainDescriptor plain = f.driver.allocPagingDomain(f.unit, 0);
        assertNoStateChange(Errno.EINVAL, () -> f.driver.allocViommu(f.unit, plain, 1, new byte[0]));
    }

    @Test
    void hardwareMsiRegionRefusesNesting() {
        Features features = Features.typical();
        features.hardwareMsiRegion = true;
        HostFixture g = new HostFixture(features);
        DomainDescriptor p = g.driver.allocPagingDomain(g.unit, 1);
        IommuException e = assertThrows(IommuException.class,
                () -> g.driver.allocViommu(g.unit, p, ViommuDescriptor.TYPE_ARM_SMMUV3, new byte[0]));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(1, g.unit.allocatedIds("vmid"), "only the parent's VMID");
        IommuException e2 = assertThrows(IommuException.class,
                () -> g.driver.allocNestedDomain(g.unit, p, 0, DATA_ARM_SMMUV3, vste(s1Trans(), 0)));
        assertEquals(Errno.EINVAL, e2.errno());
    }

    @Test
    void freeViommuFlushesAndReturnsItsVmid() {
        ViommuDescriptor v = f.driver.allocViommu(f.unit, parent, 1, new byte[0]);
        Smmuv3DeviceReset.ensureUp(f.unit);
        int mark = f.commands().size();
        f.unit.invalidations().clear();
        f.driver.freeViommu(f.unit, v);
        assertEquals(1, f.unit.allocatedIds("vmid"));
        assertEquals(List.of(Smmuv3Command.TLBI_S12_VMALL, Smmuv3Command.SYNC), f.opcodesSince(mark));
        assertEquals(List.of(new InvalidationScope.Domain(0, v.tag())), f.unit.invalidations());
    }

    // ---- guest STE validation (arm_smmu_validate_vste) ------------------------------------------

    private ViommuDescriptor viommu() {
        return f.driver.allocViommu(f.unit, parent, 1, new byte[0]);
    }

    @Test
    void guestSteFieldsOutsideTheAllowedMasksAreEio() {
        ViommuDescriptor v = viommu();
        // word 0 bit 52..58 lie between S1ContextPtr and S1CDMax; bit 58 is not allowed
        assertNoStateChange(Errno.EIO, () -> f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3,
                vste(s1Trans() | 1L << 58, 0)));
        // word 1 STRW (31:30) is the host's
        assertNoStateChange(Errno.EIO, () -> f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3,
                vste(s1Trans(), 2L << 30)));
        // word 1 MEV (bit 19) is the host's too
        assertNoStateChange(Errno.EIO, () -> f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3,
                vste(s1Trans(), 1L << 19)));
    }

    @Test
    void guestSteConfigMustBeAbortBypassOrStage1() {
        ViommuDescriptor v = viommu();
        for (int cfg : new int[] {1, 2, 3, 6, 7}) {
            assertNoStateChange(Errno.EIO, () -> f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3,
                    vste(1 | (long) cfg << 1, 0)));
        }
        for (int cfg : new int[] {0, 4, 5}) {
            assertTrue(f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3, vste(1 | (long) cfg << 1, 0)).nested());
        }
    }

    @Test
    void guestSteEatsMustBeAbortOrFullAts() {
        ViommuDescriptor v = viommu();
        assertNoStateChange(Errno.EIO, () -> f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3,
                vste(s1Trans(), 2L << 28)));
        assertNoStateChange(Errno.EIO, () -> f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3,
                vste(s1Trans(), 3L << 28)));
        DomainDescriptor d = f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3, vste(s1Trans(), 1L << 28 | 1));
        Smmuv3NestedDomainData data = Smmuv3NestedDomainData.of(d);
        assertEquals(1L, data.ste1(), "EATS taken out, S1DSS kept");
        assertTrue(data.enableAts());
    }

    @Test
    void invalidGuestSteBecomesZero() {
        ViommuDescriptor v = viommu();
        // V = 0: whatever else is set, the STE is zeroed (an aborting nested domain)
        DomainDescriptor d = f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3, vste(-2L, -1L));
        Smmuv3NestedDomainData data = Smmuv3NestedDomainData.of(d);
        assertEquals(0L, data.ste0());
        assertEquals(0L, data.ste1());
    }

    @Test
    void dataTypeLengthAndFlags() {
        ViommuDescriptor v = viommu();
        assertNoStateChange(Errno.EINVAL, () -> f.driver.allocNestedDomain(f.unit, v, 0, 1, vste(s1Trans(), 0)));
        assertNoStateChange(Errno.EINVAL, () -> f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3, new byte[8]));
        byte[] longer = new byte[24];
        System.arraycopy(vste(s1Trans(), 0), 0, longer, 0, 16);
        // longer than the kernel's struct is EINVAL even with a zero tail (__iommu_copy_struct_from_user)
        assertNoStateChange(Errno.EINVAL, () -> f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3, longer));
        assertNoStateChange(Errno.EOPNOTSUPP, () -> f.driver.allocNestedDomain(f.unit, v, 8, DATA_ARM_SMMUV3,
                vste(s1Trans(), 0)));
        assertTrue(f.driver.allocNestedDomain(f.unit, v, 4, DATA_ARM_SMMUV3, vste(s1Trans(), 0)).nested(),
                "FAULT_ID_VALID is iommufd's");
    }

    @Test
    void nestedOnParentNeedsANestParent() {
        DomainDescriptor plain = f.driver.allocPagingDomain(f.unit, 0);
        assertNoStateChange(Errno.EINVAL, () -> f.driver.allocNestedDomain(f.unit, plain, 0, DATA_ARM_SMMUV3,
                vste(s1Trans(), 0)));
        DomainDescriptor d = f.driver.allocNestedDomain(f.unit, parent, 0, DATA_ARM_SMMUV3, vste(s1Trans(), 0));
        assertEquals(parent.tag(), d.tag(), "without a vIOMMU the parent's VMID is used");
    }

    // ---- attach --------------------------------------------------------------------------------

    private void writeGuestCd(int asid) {
        // CD word 0: T0SZ 16, TG0 4K, V (31), IPS 48 bits (34:32 = 5), AA64 (41), ASID (63:48)
        f.memory.write64(CD_TABLE, 16 | 1L << 31 | 5L << 32 | 1L << 41 | (long) asid << 48);
        f.memory.write64(CD_TABLE + 8, GUEST_TTB0);
    }

    @Test
    void nestedSteCarriesGuestStage1AndParentStage2() throws Exception {
        ViommuDescriptor v = viommu();
        long guest1 = 1 | 1L << 2 | 1L << 4 | 3L << 6; // S1DSS bypass, S1CIR / S1COR WBRA, S1CSH ISH
        long guest0 = s1Trans() | 2L << 4 | 10L << 59; // S1Fmt 64K L2, S1CDMax 10
        DomainDescriptor d = f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3, vste(guest0, guest1));
        f.driver.attachDevice(f.unit, device, d);
        long[] ste = f.ste(SID);
        assertEquals(guest0 | 7L << 1, ste[0], "Config = nested, the guest's other word-0 fields as given");
        assertEquals(guest1 | 1L << 19, ste[1], "the guest's word 1 with MEV");
        assertEquals(0x044D_3590_0000_0000L | v.tag(), ste[2], "the parent's stage 2 with the vIOMMU's VMID");
        assertEquals(parent.rootAddress(), ste[3]);
    }

    @Test
    void nestedAttachRoundTripsThroughTheHardwareDecoder() throws Exception {
        ViommuDescriptor v = viommu();
        writeGuestCd(0x77);
        DomainDescriptor d = f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3, vste(s1Trans(), 0));
        f.driver.attachDevice(f.unit, device, d);
        TranslationConfig config = f.driver.decodeConfig(f.unit, device, DeviceInfo.NO_PASID);
        assertEquals(TranslationMode.NESTED, config.mode());
        assertEquals(GUEST_TTB0, config.stage1().rootAddress());
        assertEquals(parent.rootAddress(), config.stage2().rootAddress());
        assertEquals(v.tag(), config.domainTag());
        assertEquals(0x77, config.addressSpaceTag());
        assertEquals(4, config.stage1().format().levels());
    }

    @Test
    void guestBypassInstallsTheParentStage2AndAbortAborts() throws Exception {
        ViommuDescriptor v = viommu();
        f.driver.attachDevice(f.unit, device, f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3, vste(1 | 4L << 1, 0)));
        long[] ste = f.ste(SID);
        assertEquals(0xDL, ste[0], "stage-2 STE");
        assertEquals(0x044D_3590_0000_0000L | v.tag(), ste[2]);
        TranslationConfig config = f.driver.decodeConfig(f.unit, device, DeviceInfo.NO_PASID);
        assertEquals(TranslationMode.STAGE2, config.mode());
        assertEquals(v.tag(), config.domainTag());

        f.driver.attachDevice(f.unit, device, f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3, vste(0, 0)));
        assertArrayEquals(new long[] {1, 0, 0, 0, 0, 0, 0, 0}, f.ste(SID));
    }

    @Test
    void guestAtsNeedsTheGuestsEats() throws Exception {
        ViommuDescriptor v = viommu();
        DeviceInfo ats = HostFixture.device(SID, true, false);
        f.driver.attachDevice(f.unit, ats, f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3, vste(s1Trans(), 0)));
        assertEquals(0L, f.ste(SID)[1] & 3L << 28, "guest left EATS 0: no ATS");
        f.driver.attachDevice(f.unit, ats, f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3,
                vste(s1Trans(), 1L << 28)));
        assertEquals(1L << 28, f.ste(SID)[1] & 3L << 28);
    }

    @Test
    void nestedDomainHasNoPagingFormatAndFreesNothing() {
        ViommuDescriptor v = viommu();
        DomainDescriptor d = f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3, vste(s1Trans(), 0));
        IommuException e = assertThrows(IommuException.class, () -> f.driver.pagingFormat(f.unit, d));
        assertEquals(Errno.EINVAL, e.errno());
        int pages = f.unit.livePages();
        f.driver.freeDomain(f.unit, d);
        assertEquals(pages, f.unit.livePages());
        assertEquals(2, f.unit.allocatedIds("vmid"));
        assertFalse(f.unit.isLivePage(0));
    }

    @Test
    void fullLifecycleLeavesOnlyTheSmmusOwnStructures() {
        f.driver.detach(f.unit, device, DeviceInfo.NO_PASID); // bring-up and the SID's L2 table
        int baseline = f.unit.livePages() - 1; // without the parent's root
        ViommuDescriptor v = viommu();
        writeGuestCd(1);
        DomainDescriptor d = f.driver.allocNestedDomain(f.unit, v, 0, DATA_ARM_SMMUV3, vste(s1Trans(), 0));
        f.driver.attachDevice(f.unit, device, d);
        f.driver.detach(f.unit, device, DeviceInfo.NO_PASID);
        f.driver.freeDomain(f.unit, d);
        f.driver.freeViommu(f.unit, v);
        f.driver.freeDomain(f.unit, parent);
        assertEquals(baseline, f.unit.livePages());
        assertEquals(0, f.unit.allocatedIds("vmid"));
        assertEquals(TranslationMode.ABORT, assertDoesNotThrowDecode().mode());
    }

    private TranslationConfig assertDoesNotThrowDecode() {
        try {
            return f.driver.decodeConfig(f.unit, device, DeviceInfo.NO_PASID);
        } catch (io.nestor.api.translation.FaultException e) {
            throw new AssertionError(e);
        }
    }
}
