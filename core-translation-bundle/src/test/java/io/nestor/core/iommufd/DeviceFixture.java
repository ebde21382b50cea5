package io.nestor.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.session.RegionTable;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.translate.TranslationResult;
import io.nestor.core.unit.DriverBinding;
import io.nestor.core.unit.IommuUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.function.Executable;

/**
 * A context over a real registry (the embedded default topology: dmar0 with four PCI devices,
 * smmu0 with three), real engine and caches, driver doubles for both kinds, and a page window for
 * the core's domain tables whose size tests choose (fault injection). Snapshots cover everything a
 * failed command must leave as it was: objects, attachments, structure and table pages, unit tags,
 * device bindings, IOAS areas.
 */
final class DeviceFixture {
    static final String NIC = "0000:00:02.0";      // dmar0, PASID 20 bits, exec + priv, ATS, PRI
    static final String NIC2 = "0000:00:03.0";     // dmar0, PASID 16 bits
    static final String LEGACY = "0000:00:04.0";   // dmar0, no PASID
    static final String SMALL = "0000:01:00.1";    // dmar0, PASID 8 bits
    static final String ARM = "0001:00:01.0";      // smmu0, PASID 20 bits
    static final int RW = IoasMapFlags.READABLE | IoasMapFlags.WRITEABLE;
    static final long TABLE_BASE = 0x8000_0000L;

    final SparsePhysicalMemory memory = new SparsePhysicalMemory(52);
    final DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(), memory);
    final HwptTestDriver vtd = new HwptTestDriver(IommuDriver.KIND_INTEL_VTD);
    final HwptTestDriver smmu = new HwptTestDriver(IommuDriver.KIND_ARM_SMMUV3);
    final DeviceBindings bindings = new DeviceBindings();
    final PageAllocator tablePages;
    final IommufdPlatform platform;
    final RegionTable regions = new RegionTable(4096);
    final IommufdContext context;
    private boolean regionMade;

    DeviceFixture() {
        this(0x100_0000L);
    }

    DeviceFixture(long tableWindow) {
        registry.addDriver(new DriverBinding(vtd, vtd.kind(), "test.vtd", 1, "1.0.0", 0, 1));
        registry.addDriver(new DriverBinding(smmu, smmu.kind(), "test.smmu", 2, "1.0.0", 0, 2));
        tablePages = new PageAllocator(memory, TABLE_BASE, tableWindow, 12);
        platform = new IommufdPlatform(registry, bindings, tablePages);
        context = new IommufdContext(ContextOptions.defaults(), regions, platform);
    }

    /** Another context of the same platform (shares the bindings). */
    IommufdContext otherContext() {
        return new IommufdContext(ContextOptions.defaults(), new RegionTable(4096), platform);
    }

    DeviceInfo device(String name) {
        return registry.devices().stream().filter(d -> d.name().equals(name)).findFirst().orElseThrow();
    }

    IommuUnit unitOf(String name) {
        return registry.runtimeUnit(device(name).unit()).orElseThrow();
    }

    int bind(String name) {
        return context.devices().bind(name);
    }

    int ioas() {
        return context.ioas().alloc(0);
    }

    /** A 1 MiB writable region at va 0x7000_0000 → pa 0x3_0000_0000, mapped at {@code iova}. */
    long mapRegion(int ioasId, long iova, long length) {
        if (!regionMade) {
            regions.createRegion(0x7000_0000L, 0x10_0000L, 0x3_0000_0000L, true);
            regionMade = true;
        }
        return context.ioas().map(new IoasMapCommand(RW | IoasMapFlags.FIXED_IOVA, ioasId, 0, 0x7000_0000L, length,
                iova));
    }

    int pagingHwpt(int devId, int ioasId, int flags) {
        return context.hwpts().alloc(HwptAllocCommand.paging(flags, devId, ioasId));
    }

    /** The output address of a DMA read through the engine, or -1 when it faults. */
    long translate(String device, int pasid, long iova, int access) {
        DeviceInfo d = device(device);
        TranslationResult r = new TranslationResult();
        return registry.engine().translate(unitOf(device).index(), d.sourceId(), pasid, iova, access, r)
                ? r.outputAddress() : -1;
    }

    <T extends IommufdObject> T object(int id, ObjectType type, Class<T> cls) {
        try (ObjectRef<T> ref = context.objects().get(id, type, cls)) {
            return ref.get();
        }
    }

    /** Everything a failed command must leave unchanged. */
    record Snapshot(List<String> objects, long structurePages, long tablePages, int dmarTags, int smmuTags,
            Map<String, String> attached, int bound, List<String> areas) {
    }

    Snapshot snapshot() {
        List<String> objects = new ArrayList<>();
        List<String> areas = new ArrayList<>();
        for (IommufdObject o : context.objects().objects()) {
            objects.add(o + " users " + context.objects().users(o.id()));
            if (o instanceof Ioas) {
                areas.add(o + " " + ((Ioas) o).pageTable().areaRanges() + " " + ((Ioas) o).pageTable().usableRanges());
            }
            if (o instanceof DeviceObject) {
                objects.add(o + " attachments " + ((DeviceObject) o).attachmentIds());
            }
        }
        Map<String, String> attached = new TreeMap<>();
        vtd.attached.forEach((k, v) -> attached.put(k, "tag " + v.tag()));
        smmu.attached.forEach((k, v) -> attached.put(k, "tag " + v.tag()));
        return new Snapshot(objects, registry.structurePages().livePages(), tablePages.livePages(),
                registry.runtimeUnit("dmar0").orElseThrow().allocatedIds(HwptTestDriver.TAGS),
                registry.runtimeUnit("smmu0").orElseThrow().allocatedIds(HwptTestDriver.TAGS), attached,
                bindings.boundCount(), areas);
    }

    /** Asserts {@code call} fails with {@code errno} and changes nothing. */
    IommuException failsUnchanged(Errno errno, Executable call) {
        Snapshot before = snapshot();
        IommuException e = assertThrows(IommuException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
        assertEquals(before, snapshot(), "state changed by a failed call: " + e.getMessage());
        return e;
    }
}
