package io.nestor.core.iommufd;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.driver.ViommuDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.core.testformat.TestPageTableFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongFunction;

/**
 * A driver double for the iommufd core's errno-order and rollback tests: paging domains over the
 * core's test format with a root and a tag from the unit (so leaks show in the unit's pages and
 * ids), nested domains with their own tag, attachments kept in a map that {@code decodeConfig}
 * reads (a real driver reads them from memory), every call recorded, and failures injectable per
 * operation. Unlike a real driver it keeps state; it exists only for tests.
 */
public class HwptTestDriver implements IommuDriver {
    static final int NESTED_DATA_TYPE = 0xdead;
    static final String TAGS = "tag";

    final String kind;
    final PageTableFormat format = TestPageTableFormat.granule4k();
    final List<String> calls = new CopyOnWriteArrayList<>();
    /** Page responses the host-driver half sent: "device pasid grpid stall code". */
    public final List<String> responses = new CopyOnWriteArrayList<>();
    /** The event id the hardware half writes into a fault's 32-byte record (SMMUv3 layout). */
    volatile int eventId = 0x10;
    /** Whether the recorded event says stage 2 (EVTQ_1_S2). */
    volatile boolean stage2Event;
    /** Whether the page request queue is full (the request is not recorded). */
    volatile boolean pageRequestQueueFull;
    /** Operation name → errno to fail it with (once per entry in the map, until removed). */
    final Map<String, Errno> failing = new ConcurrentHashMap<>();
    /** "unit/sid/pasid" → domain attached. */
    final Map<String, DomainDescriptor> attached = new ConcurrentHashMap<>();
    volatile boolean flushSupported;
    volatile List<io.nestor.api.driver.ReservedRegion> reserved = List.of();
    final java.util.Set<Integer> viommuTags = ConcurrentHashMap.newKeySet();
    volatile long capabilities = HwInfo.CAP_DIRTY_TRACKING;
    volatile byte[] hwInfoData = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

    public HwptTestDriver(String kind) {
        this.kind = kind;
    }

    /** Operation name → errno to fail only its next call with. */
    final Map<String, Errno> failOnce = new ConcurrentHashMap<>();

    private void maybeFail(String op) {
        Errno once = failOnce.remove(op);
        if (once != null) {
            throw IommuException.of(once, "injected one-shot %s failure of %s", once, op);
        }
        Errno e = failing.get(op);
        if (e != null) {
            throw IommuException.of(e, "injected %s failure of %s", e, op);
        }
    }

    private static String key(UnitContext unit, DeviceInfo d, int pasid) {
        return unit.name() + "/" + d.sourceId() + "/" + pasid;
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public void reset(UnitContext unit) {
    }

    @Override
    public TranslationConfig decodeConfig(UnitContext unit, DeviceInfo device, int pasid) {
        DomainDescriptor d = attached.get(key(unit, device, pasid));
        if (d == null) {
            return TranslationConfig.abort();
        }
        return new TranslationConfig(TranslationMode.STAGE2, null, new StageConfig(format, d.rootAddress(), true),
                d.tag(), -1);
    }

    @Override
    public HwInfo hwInfo(UnitContext unit) {
        return new HwInfo(kind.equals(KIND_INTEL_VTD) ? HwInfo.TYPE_INTEL_VTD : HwInfo.TYPE_ARM_SMMUV3, hwInfoData,
                capabilities, unit.features().pasidBits(), Map.of());
    }

    @Override
    public DomainDescriptor allocPagingDomain(UnitContext unit, int flags) {
        calls.add("allocPaging " + flags);
        maybeFail("allocPaging");
        int tag = unit.allocateId(TAGS, 1, 0xFFFF);
        long root;
        try {
            maybeFail("allocPagingRoot");
            root = unit.allocatePages(1);
        } catch (RuntimeException e) {
            unit.freeId(TAGS, tag);
            throw e;
        }
        return new DomainDescriptor(false, tag, root, 48, flags, new byte[0]);
    }

    @Override
    public PageTableFormat pagingFormat(UnitContext unit, DomainDescriptor domain) {
        calls.add("pagingFormat " + domain.tag());
        maybeFail("pagingFormat");
        return format;
    }

    @Override
    public void freeDomain(UnitContext unit, DomainDescriptor domain) {
        calls.add("free " + domain.tag());
        if (!domain.nested() && domain.vendorData().length == 0) { // a bogus "nested" result has data
            unit.freePages(domain.rootAddress(), 1);
        }
        if (!viommuTags.contains(domain.tag())) { // a vIOMMU's nested domain borrows its tag
            unit.freeId(TAGS, domain.tag());
        }
    }

    @Override
    public void flushPagingRange(UnitContext unit, DomainDescriptor domain, long iova, long size, int[] deps) {
        calls.add("flush " + domain.tag() + " " + Long.toHexString(iova) + "+" + Long.toHexString(size) + " "
                + java.util.Arrays.toString(deps));
        if (!flushSupported) {
            throw IommuException.of(Errno.EOPNOTSUPP, "no flush");
        }
        unit.invalidate(new InvalidationScope.Stage2Range(unit.index(), domain.tag(), iova, size, false));
        for (int t : deps) {
            unit.invalidate(new InvalidationScope.Stage2Range(unit.index(), t, iova, size, false));
        }
    }

    @Override
    public DomainDescriptor allocNestedDomain(UnitContext unit, DomainDescriptor parent, int flags, int dataType,
            byte[] data) {
        calls.add("allocNested " + parent.tag() + " " + flags);
        maybeFail("allocNested");
        if (dataType != NESTED_DATA_TYPE) {
            throw IommuException.of(Errno.EOPNOTSUPP, "data type %d", dataType);
        }
        if (data.length != 8) {
            throw IommuException.of(Errno.EINVAL, "data_len %d", data.length);
        }
        if (failing.containsKey("nestedNotNested")) {
            return new DomainDescriptor(false, unit.allocateId(TAGS, 1, 0xFFFF), parent.rootAddress(), 48, flags,
                    data);
        }
        return new DomainDescriptor(true, unit.allocateId(TAGS, 1, 0xFFFF), parent.rootAddress(), 48, flags, data);
    }

    @Override
    public ViommuDescriptor allocViommu(UnitContext unit, DomainDescriptor parent, int type, byte[] data) {
        calls.add("allocViommu " + parent.tag());
        maybeFail("allocViommu");
        if (type != ViommuDescriptor.TYPE_ARM_SMMUV3) {
            throw IommuException.of(Errno.EOPNOTSUPP, "vIOMMU type %d", type);
        }
        ViommuDescriptor v = new ViommuDescriptor(type, unit.allocateId(TAGS, 1, 0xFFFF), parent);
        viommuTags.add(v.tag());
        return v;
    }

    @Override
    public void freeViommu(UnitContext unit, ViommuDescriptor viommu) {
        calls.add("freeViommu " + viommu.tag());
        viommuTags.remove(viommu.tag());
        unit.freeId(TAGS, viommu.tag());
    }

    @Override
    public DomainDescriptor allocNestedDomain(UnitContext unit, ViommuDescriptor viommu, int flags, int dataType,
            byte[] data) {
        calls.add("allocNestedOnViommu " + viommu.tag());
        return new DomainDescriptor(true, viommu.tag(), viommu.parent().rootAddress(), 48, flags, data);
    }

    @Override
    public List<io.nestor.api.driver.ReservedRegion> reservedRegions(UnitContext unit, DeviceInfo device) {
        return reserved;
    }

    @Override
    public void attachDevice(UnitContext unit, DeviceInfo device, DomainDescriptor domain) {
        calls.add("attach " + device.name() + " " + domain.tag());
        maybeFail("attach");
        attached.put(key(unit, device, -1), domain);
        unit.invalidate(new InvalidationScope.DeviceConfig(unit.index(), device.sourceId(), -1));
    }

    @Override
    public void attachPasid(UnitContext unit, DeviceInfo device, int pasid, DomainDescriptor domain) {
        calls.add("attachPasid " + device.name() + " " + pasid + " " + domain.tag());
        maybeFail("attachPasid");
        if (attached.putIfAbsent(key(unit, device, pasid), domain) != null) {
            throw IommuException.of(Errno.EBUSY, "PASID %d in use", pasid);
        }
        unit.invalidate(new InvalidationScope.DeviceConfig(unit.index(), device.sourceId(), pasid));
    }

    @Override
    public void detach(UnitContext unit, DeviceInfo device, int pasid) {
        calls.add("detach " + device.name() + " " + pasid);
        attached.remove(key(unit, device, pasid));
        unit.invalidate(new InvalidationScope.DeviceConfig(unit.index(), device.sourceId(), pasid));
    }

    @Override
    public int invalidateUser(UnitContext unit, DomainDescriptor domain, int dataType, int entryLen, byte[] entries) {
        calls.add("invalidateUser " + domain.tag() + " " + entries.length / Math.max(1, entryLen));
        if (dataType != NESTED_DATA_TYPE) {
            throw IommuException.of(Errno.EINVAL, "type %d", dataType).withOutValue("entry_num", 0);
        }
        int n = entryLen == 0 ? 0 : entries.length / entryLen;
        for (int i = 0; i < n; i++) {
            if (entries[i * entryLen] == (byte) 0xBD) {
                throw IommuException.of(Errno.EINVAL, "entry %d is bad", i).withOutValue("entry_num", i);
            }
        }
        return n;
    }

    @Override
    public int invalidateViommu(UnitContext unit, ViommuDescriptor viommu, LongFunction<DeviceInfo> vdevices,
            int dataType, int entryLen, byte[] entries) {
        int n = entryLen == 0 ? 0 : entries.length / entryLen;
        for (int i = 0; i < n; i++) {
            long vsid = entries[i * entryLen] & 0xFF;
            DeviceInfo d = vdevices.apply(vsid);
            calls.add("invalidateViommu vsid " + vsid + " -> " + (d == null ? "none" : d.name()));
            if (d == null) {
                throw IommuException.of(Errno.EIO, "unknown vSID %d", vsid).withOutValue("entry_num", i);
            }
        }
        return n;
    }

    @Override
    public byte[] recordPageRequest(UnitContext unit, DeviceInfo device, io.nestor.api.translation.PageRequest request) {
        return pageRequestQueueFull ? new byte[0] : new byte[16];
    }

    @Override
    public void pageResponse(UnitContext unit, DeviceInfo device, io.nestor.api.translation.PageResponse response) {
        responses.add(device.name() + " " + response.pasid() + " " + response.groupIndex() + " " + response.stall()
                + " " + response.code());
        unit.completePageRequest(device.sourceId(), response);
    }

    /** An SMMUv3-shaped event: id in bits 7:0, StreamID in 63:32, S2 at bit 103, input address in dword 2. */
    @Override
    public byte[] recordFault(UnitContext unit, DeviceInfo device, int pasid, io.nestor.api.translation.Fault fault) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(32).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, eventId | ((long) device.sourceId() << 32));
        b.putLong(8, stage2Event ? 1L << 39 : 0);
        b.putLong(16, fault.iova());
        return b.array();
    }
}
