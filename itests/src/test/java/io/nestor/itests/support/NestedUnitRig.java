package io.nestor.itests.support;

/**
 * One unit's nested translation set up by a remote VMM, for load: guest RAM mapped in an IOAS at
 * {@link #GPA_BASE}, the device bound and attached to a nested HWPT (VT-d first stage from
 * {@code iommu_hwpt_vtd_s1}, or SMMUv3 guest STE + CD on a vIOMMU) whose guest table maps
 * {@link #STABLE_PAGES} stable pages, one DMA page and one "churn" page. The churn page's GPA
 * ({@link #churnGpa}) lies outside guest RAM in a region of its own, which the load maps into and
 * unmaps from the IOAS (stage 2), so the churn IOVA alternates between a translation and a
 * stage-2 fault.
 *
 * <p>Everything is immutable after {@link #vtd} / {@link #smmuv3} return; the load threads only
 * read it.
 */
public final class NestedUnitRig {
    public static final long GPA_BASE = 0x4000_0000L;
    public static final long RAM_SIZE = 0x20_0000L;
    public static final int STABLE_PAGES = 8;
    private static final long GIOVA_BASE = 0x7f_1230_0000L;
    private static final int ASID = 9;

    public final String unit;
    public final String device;
    public final int fd;
    public final int ioas;
    public final int devId;
    /** The HWPT or vIOMMU that HWPT_INVALIDATE targets, its data type, entry length and one entry. */
    public final int invalidateId;
    public final int invalidateType;
    public final int invalidateEntryLen;
    public final byte[] invalidateEntry;
    public final GuestRam ram;
    /** Guest IOVAs of the stable pages and the host physical addresses they translate to. */
    public final long[] stableIovas = new long[STABLE_PAGES];
    public final long[] stableOutputs = new long[STABLE_PAGES];
    public final long dmaIova;
    public final long dmaGpa;
    public final long churnIova;
    public final long churnGpa;
    public final long churnUserVa;
    public final long churnHostPhysical;

    private NestedUnitRig(VmmSession vmm, String unit, String device, boolean vtd, long[] guestRegion,
            long[] churnRegion) {
        this.unit = unit;
        this.device = device;
        this.ram = new GuestRam(vmm, guestRegion[1], GPA_BASE, RAM_SIZE, guestRegion[2]);
        this.churnGpa = GPA_BASE + RAM_SIZE;
        this.churnUserVa = churnRegion[1];
        this.churnHostPhysical = churnRegion[2];
        fd = vmm.iommufdOpen();
        ioas = vmm.ioasAlloc(fd);
        vmm.ioasMap(fd, VmmSession.MAP_FIXED_RW, ioas, guestRegion[1], RAM_SIZE, GPA_BASE);
        devId = vmm.bindIommufd(device, fd);
        int parent = vmm.hwptAlloc(fd, 1 /* NEST_PARENT */, devId, ioas, 0, new byte[0]);

        long cdTable = GPA_BASE;
        GuestPageTables guest = new GuestPageTables(ram, vtd ? GuestPageTables.X86_64 : GuestPageTables.VMSA_4K,
                GPA_BASE + 0x1000, 0xf_0000L);
        long data = GPA_BASE + 0x10_0000L;
        for (int i = 0; i < STABLE_PAGES; i++) {
            stableIovas[i] = GIOVA_BASE + 0x1000L * i;
            stableOutputs[i] = ram.hostPhysical(data + 0x1000L * i) + 0x10 * i;
            guest.map(stableIovas[i], data + 0x1000L * i, true);
            stableIovas[i] += 0x10 * i;
        }
        dmaIova = GIOVA_BASE + 0x10_0000L;
        dmaGpa = data + 0x8_0000L;
        guest.map(dmaIova, dmaGpa, true);
        churnIova = GIOVA_BASE + 0x20_0000L;
        guest.map(churnIova, churnGpa, true);

        int nested;
        if (vtd) {
            nested = vmm.hwptAlloc(fd, 0, devId, parent, VtdUapiStructs.HWPT_DATA_VTD_S1,
                    VtdUapiStructs.hwptVtdS1(0, guest.root(), 48));
            invalidateId = nested;
            invalidateType = VtdUapiStructs.INVALIDATE_DATA_VTD_S1;
            invalidateEntryLen = VtdUapiStructs.INVALIDATE_ENTRY_LEN;
            invalidateEntry = VtdUapiStructs.invalidate(stableIovas[0] & ~0xfffL, 1, 0);
        } else {
            int viommu = vmm.viommuAlloc(fd, Smmuv3GuestStructs.VIOMMU_TYPE_ARM_SMMUV3, devId, parent);
            vmm.vdeviceAlloc(fd, viommu, devId, 0x40);
            ram.write(cdTable, Smmuv3GuestStructs.contextDescriptor(ASID, guest.root()));
            nested = vmm.hwptAlloc(fd, 0, devId, viommu, Smmuv3GuestStructs.HWPT_DATA_ARM_SMMUV3,
                    Smmuv3GuestStructs.steS1Translate(cdTable, 0));
            invalidateId = viommu;
            invalidateType = Smmuv3GuestStructs.INVALIDATE_DATA_ARM_SMMUV3;
            invalidateEntryLen = Smmuv3GuestStructs.COMMAND_LEN;
            invalidateEntry = Smmuv3GuestStructs.tlbiNhVa(ASID, stableIovas[0], true);
        }
        if (vmm.attach(device, nested) != nested) {
            throw new AssertionError(device + " attached to another HWPT than " + nested);
        }
    }

    /** 0000:00:02.0 on dmar0, nested VT-d. */
    public static NestedUnitRig vtd(VmmSession vmm) {
        return new NestedUnitRig(vmm, "dmar0", "0000:00:02.0", true, vmm.createRegion(RAM_SIZE),
                vmm.createRegion(0x1000));
    }

    /** 0001:00:01.0 on smmu0, nested SMMUv3 through a vIOMMU. */
    public static NestedUnitRig smmuv3(VmmSession vmm) {
        return new NestedUnitRig(vmm, "smmu0", "0001:00:01.0", false, vmm.createRegion(RAM_SIZE),
                vmm.createRegion(0x1000));
    }
}
