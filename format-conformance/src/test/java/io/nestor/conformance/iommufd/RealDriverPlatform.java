package io.nestor.conformance.iommufd;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.core.iommufd.ContextOptions;
import io.nestor.core.iommufd.DeviceBindings;
import io.nestor.core.iommufd.IoasMapCommand;
import io.nestor.core.iommufd.IoasMapFlags;
import io.nestor.core.iommufd.IommufdContext;
import io.nestor.core.iommufd.IommufdPlatform;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.session.RegionTable;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.translate.TranslationResult;
import io.nestor.core.unit.DriverBinding;
import io.nestor.driver.smmuv3.Smmuv3Driver;
import io.nestor.driver.vtd.VtdDriver;

/**
 * The embedded default topology (dmar0, smmu0) with the real VT-d and SMMUv3 drivers bound, one
 * iommufd context over it, and DMA checked through the platform's translation engine, so every
 * step — domain allocation, attach, the core's tables, the drivers' flushes through their queues —
 * is the real one.
 */
final class RealDriverPlatform {
    static final String NIC = "0000:00:02.0";
    static final String ARM = "0001:00:01.0";
    static final int RW = IoasMapFlags.READABLE | IoasMapFlags.WRITEABLE;

    final SparsePhysicalMemory memory = new SparsePhysicalMemory(52);
    final DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(), memory);
    final RegionTable regions = new RegionTable(4096);
    final IommufdPlatform platform;
    final IommufdContext context;

    RealDriverPlatform() {
        registry.addDriver(new DriverBinding(new VtdDriver(), IommuDriver.KIND_INTEL_VTD, "io.nestor.driver.vtd", 1,
                "1.0.0", 0, 1));
        registry.addDriver(new DriverBinding(new Smmuv3Driver(), IommuDriver.KIND_ARM_SMMUV3,
                "io.nestor.driver.smmuv3", 2, "1.0.0", 0, 2));
        platform = IommufdPlatform.of(registry, new DeviceBindings());
        context = new IommufdContext(ContextOptions.defaults(), regions, platform);
    }

    DeviceInfo device(String name) {
        return registry.devices().stream().filter(d -> d.name().equals(name)).findFirst().orElseThrow();
    }

    /** A session memory region: {@code size} bytes at session va {@code va}, host physical {@code pa}. */
    void region(long va, long size, long pa) {
        regions.createRegion(va, size, pa, true);
    }

    void map(int ioas, long va, long length, long iova) {
        context.ioas().map(new IoasMapCommand(RW | IoasMapFlags.FIXED_IOVA, ioas, 0, va, length, iova));
    }

    /** The host physical address of a DMA by {@code device}, or -1 when it faults. */
    long dma(String device, int pasid, long iova, int access) {
        DeviceInfo d = device(device);
        int unit = registry.runtimeUnit(d.unit()).orElseThrow().index();
        TranslationResult r = new TranslationResult();
        return registry.engine().translate(unit, d.sourceId(), pasid, iova, access, r) ? r.outputAddress() : -1;
    }
}
