package io.nestor.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.FaultStage;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.translate.TranslationResult;
import io.nestor.core.unit.DriverBinding;
import io.nestor.core.unit.IommuUnit;
import io.nestor.driver.vtd.VtdDriver;
import io.nestor.driver.vtd.host.VtdQiDescriptor;
import io.nestor.driver.vtd.host.VtdQueuedInvalidation;
import io.nestor.driver.vtd.hw.VtdRegisterOffsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each VT-d invalidation descriptor's effect on the platform's real caches: a translation stays
 * stale after its table changed until the right descriptor is processed by the unit's hardware
 * half (from the invalidation queue in memory), and is right after it. The structures are written
 * by the VT-d host-driver half; requests go through the core's translation engine.
 */
class VtdDescriptorEffectTest {
    private static final long IOVA = 0x4000_0000L;
    private static final long PA = 0x1_0000_0000L;

    private final SparsePhysicalMemory memory = new SparsePhysicalMemory(52);
    private final DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(), memory);
    private final VtdDriver driver = new VtdDriver();
    private final IommuUnit dmar0;
    private final DeviceInfo device;
    private final DomainDescriptor domain;
    private final PageTableFormat format;
    private final DriverDomainTables tables;

    VtdDescriptorEffectTest() {
        registry.addDriver(new DriverBinding(driver, IommuDriver.KIND_INTEL_VTD, "io.nestor.driver.vtd", 1, "1.0.0",
                0, 1));
        dmar0 = registry.runtimeUnit("dmar0").orElseThrow();
        device = registry.devices().stream().filter(d -> d.name().equals("0000:00:02.0")).findFirst().orElseThrow();
        domain = driver.allocPagingDomain(dmar0, 0);
        format = driver.pagingFormat(dmar0, domain);
        tables = new DriverDomainTables(memory, dmar0, domain, format);
        tables.map(IOVA, PA);
        tables.map(IOVA + 0x1000, PA + 0x1000);
        driver.attachDevice(dmar0, device, domain);
    }


    private long translate(long iova) {
        TranslationResult r = new TranslationResult();
        assertTrue(registry.engine().translate(dmar0.index(), device.sourceId(), -1, iova, Access.READ, r),
                () -> r.toString());
        return r.outputAddress();
    }

    private void submit(VtdQiDescriptor... descriptors) {
        VtdQueuedInvalidation.submitSync(dmar0, List.of(descriptors));
    }

    @Test
    void aPageSelectiveIotlbInvalidationOfTheRightDomainAndPageEndsTheStaleTranslation() {
        assertEquals(PA + 0x10, translate(IOVA + 0x10));
        tables.map(IOVA, PA + 0x8000); // the host remaps without invalidating
        assertEquals(PA + 0x10, translate(IOVA + 0x10), "stale until invalidated");

        submit(VtdQiDescriptor.iotlbPages(domain.tag() + 1, IOVA, 0, false));
        assertEquals(PA + 0x10, translate(IOVA + 0x10), "another domain's invalidation leaves it");
        submit(VtdQiDescriptor.iotlbPages(domain.tag(), IOVA + 0x2000, 0, false));
        assertEquals(PA + 0x10, translate(IOVA + 0x10), "another page's invalidation leaves it");

        submit(VtdQiDescriptor.iotlbPages(domain.tag(), IOVA, 0, false));
        assertEquals(PA + 0x8010, translate(IOVA + 0x10));
    }

    @Test
    void anAddressMaskCoversTheAlignedBlock() {
        assertEquals(PA + 0x1000, translate(IOVA + 0x1000));
        tables.map(IOVA + 0x1000, PA + 0x9000);
        submit(VtdQiDescriptor.iotlbPages(domain.tag(), IOVA, 1, false)); // AM=1: two pages from IOVA
        assertEquals(PA + 0x9000, translate(IOVA + 0x1000));
    }

    @Test
    void domainSelectiveAndGlobalIotlbInvalidationsEachEndIt() {
        assertEquals(PA, translate(IOVA));
        tables.map(IOVA, PA + 0x8000);
        submit(VtdQiDescriptor.iotlbDomain(domain.tag()));
        assertEquals(PA + 0x8000, translate(IOVA));

        tables.map(IOVA, PA + 0xA000);
        assertEquals(PA + 0x8000, translate(IOVA), "stale again");
        submit(VtdQiDescriptor.iotlbGlobal());
        assertEquals(PA + 0xA000, translate(IOVA));
    }

    @Test
    void aDeviceSelectiveContextCacheInvalidationDropsTheCachedConfiguration() {
        assertEquals(PA, translate(IOVA));
        long rootTable = dmar0.registers().read64(VtdRegisterOffsets.RTADDR) & ~0xFFFL;
        int bus = device.sourceId() >>> 8;
        memory.write64(rootTable + 16L * bus, 0); // the root entry goes away, no invalidation yet
        memory.write64(rootTable + 16L * bus + 8, 0);
        assertEquals(PA + 0x1000, translate(IOVA + 0x1000), "the cached configuration still serves a miss");

        submit(VtdQiDescriptor.contextDevice(domain.tag(), device.sourceId()));
        TranslationResult r = new TranslationResult();
        assertFalse(registry.engine().translate(dmar0.index(), device.sourceId(), -1, IOVA + 0x1000, Access.READ, r));
        assertEquals(FaultStage.CONFIG, r.fault().stage(), r.toString());
    }
}
