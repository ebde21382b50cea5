package io.nestor.core.vfio;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.platform.RecordingDriver;
import io.nestor.core.testformat.TestPageTableFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A driver for container tests, of either kind: paging domains with a real DID and root page from
 * the unit, the core's 4 KiB test format, RID attach that the hardware half decodes as a stage-2
 * configuration (so translations go through the real engine), and the nesting operations recorded
 * as calls. A call whose description is in {@link #failures} throws that errno instead.
 */
final class NestingTestDriver extends RecordingDriver {
    static final long CAP = 0x00d2_0086_6f0e_0462L;
    static final long ECAP = 0x0000_f7ff_f0af_fedeL;

    /** {@code IOMMU_HWPT_ALLOC_DIRTY_TRACKING}. */
    static final int DIRTY_TRACKING = 1 << 1;

    final Map<String, Errno> failures = new HashMap<>();
    final Map<String, DomainDescriptor> attached = new LinkedHashMap<>();
    final List<PageResponse> responses = new ArrayList<>();
    /** Whether hw_info reports dirty tracking (when the unit's features have it). */
    boolean dirtyCapable = true;

    NestingTestDriver(String kind) {
        super(kind, 0x1d);
    }

    /** The host-driver operations called, in order, without the hardware half's reset / hwInfo / decode. */
    List<String> ops() {
        List<String> out = new ArrayList<>();
        for (String c : calls) {
            if (!c.startsWith("reset ") && !c.startsWith("hwInfo ") && !c.startsWith("decode ")) {
                out.add(c);
            }
        }
        return out;
    }

    @Override
    public TranslationConfig decodeConfig(UnitContext unit, DeviceInfo device, int pasid) {
        DomainDescriptor d = attached.get(device.name());
        if (d == null || pasid != DeviceInfo.NO_PASID) {
            return TranslationConfig.abort();
        }
        boolean dirtyBits = (d.flags() & DIRTY_TRACKING) != 0; // the hardware marks written leaves dirty
        return new TranslationConfig(TranslationMode.STAGE2, null,
                new StageConfig(TestPageTableFormat.granule4k(), d.rootAddress(), dirtyBits), d.tag(), -1);
    }

    @Override
    public HwInfo hwInfo(UnitContext unit) {
        byte[] data = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(8, CAP).putLong(16, ECAP).array();
        return new HwInfo(kind().equals(KIND_INTEL_VTD) ? HwInfo.TYPE_INTEL_VTD : HwInfo.TYPE_ARM_SMMUV3, data,
                dirtyCapable && unit.features().dirtyTracking() ? HwInfo.CAP_DIRTY_TRACKING : 0,
                unit.features().pasidBits(), Map.of());
    }

    private void call(String what) {
        Errno e = failures.get(what);
        if (e != null) {
            throw IommuException.of(e, "injected failure of '%s'", what);
        }
        calls.add(what);
    }

    @Override
    public DomainDescriptor allocPagingDomain(UnitContext unit, int flags) {
        call("alloc " + flags);
        int did = unit.allocateId("did", 1, 0xffff);
        long root = unit.allocatePages(1);
        return new DomainDescriptor(false, did, root, 48, flags, new byte[0]);
    }

    @Override
    public void freeDomain(UnitContext unit, DomainDescriptor domain) {
        calls.add("free " + domain.tag());
        unit.freePages(domain.rootAddress(), 1);
        unit.freeId("did", domain.tag());
    }

    @Override
    public PageTableFormat pagingFormat(UnitContext unit, DomainDescriptor domain) {
        return TestPageTableFormat.granule4k();
    }

    @Override
    public void attachDevice(UnitContext unit, DeviceInfo device, DomainDescriptor domain) {
        call("attach " + device.name());
        attached.put(device.name(), domain);
        unit.invalidate(new InvalidationScope.UnitConfig(unit.index()));
    }

    @Override
    public void detach(UnitContext unit, DeviceInfo device, int pasid) {
        calls.add("detach " + device.name());
        attached.remove(device.name());
        unit.invalidate(new InvalidationScope.UnitConfig(unit.index()));
    }

    static long hpasid(byte[] data) {
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getLong(32);
    }

    @Override
    public void bindGuestPasid(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] bindData) {
        call("bind " + device.name() + " " + hpasid(bindData));
    }

    @Override
    public void unbindGuestPasid(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] bindData) {
        call("unbind " + device.name() + " " + hpasid(bindData));
    }

    @Override
    public void setPasidTable(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] config) {
        call("setPasidTable " + device.name());
    }

    @Override
    public void unsetPasidTable(UnitContext unit, DeviceInfo device, DomainDescriptor parent) {
        call("unsetPasidTable " + device.name());
    }

    @Override
    public void cacheInvalidate(UnitContext unit, DeviceInfo device, DomainDescriptor parent, byte[] info) {
        call("cacheInvalidate " + device.name() + " " + info.length);
    }

    @Override
    public void pageResponse(UnitContext unit, DeviceInfo device, PageResponse response) {
        call("pageResponse " + device.name());
        responses.add(response);
    }

    /** A 72-byte {@code iommu_gpasid_bind_data} naming {@code hpasid} (the test driver reads only that). */
    static byte[] bindData(long hpasid) {
        return ByteBuffer.allocate(72).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 72).putInt(4, 1).putInt(8, 1)
                .putInt(12, 48).putLong(24, 0x1000).putLong(32, hpasid).array();
    }
}
