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
import io.nestor.driver.smmuv3.Smmuv3Driver;
import io.nestor.driver.smmuv3.host.Smmuv3CommandSubmission;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each SMMUv3 command's effect on the platform's real caches: after a stage-2 table changes, the
 * translation stays stale until the right command is consumed from the command queue in memory, and
 * is right after it. Commands are encoded here from the architecture's layouts (IHI 0070, chapter
 * 4), independently of the driver's own encoder; the STE is written by the host-driver half.
 */
class Smmuv3CommandEffectTest {
    private static final long IOVA = 0x4000_0000L;
    private static final long PA = 0x1_0000_0000L;

    private final SparsePhysicalMemory memory = new SparsePhysicalMemory(52);
    private final DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(), memory);
    private final Smmuv3Driver driver = new Smmuv3Driver();
    private final IommuUnit smmu0;
    private final DeviceInfo device;
    private final DomainDescriptor domain;
    private final PageTableFormat format;
    private final DriverDomainTables tables;

    Smmuv3CommandEffectTest() {
        registry.addDriver(new DriverBinding(driver, IommuDriver.KIND_ARM_SMMUV3, "io.nestor.driver.smmuv3", 1,
                "1.0.0", 0, 1));
        smmu0 = registry.runtimeUnit("smmu0").orElseThrow();
        device = registry.devices().stream().filter(d -> d.name().equals("0001:00:01.0")).findFirst().orElseThrow();
        domain = driver.allocPagingDomain(smmu0, 0);
        format = driver.pagingFormat(smmu0, domain);
        tables = new DriverDomainTables(memory, smmu0, domain, format);
        for (int page = 0; page < 4; page++) {
            tables.map(IOVA + page * 0x1000L, PA + page * 0x1000L);
        }
        driver.attachDevice(smmu0, device, domain);
    }


    private long translate(long iova) {
        TranslationResult r = new TranslationResult();
        assertTrue(registry.engine().translate(smmu0.index(), device.sourceId(), -1, iova, Access.READ, r),
                () -> r.toString());
        return r.outputAddress();
    }

    private void issue(long dword0, long dword1) {
        Smmuv3CommandSubmission.issueWithSync(smmu0, List.of(new Smmuv3Command(dword0, dword1)));
    }

    /** CMD_TLBI_S2_IPA: opcode [7:0], NUM [16:12], SCALE [24:20], VMID [47:32]; Leaf [0], TG [11:10], IPA [51:12]. */
    private void tlbiS2Ipa(int vmid, long ipa, int tg, int num, int scale) {
        long w0 = Smmuv3Command.TLBI_S2_IPA | (long) num << 12 | (long) scale << 20 | (long) vmid << 32;
        issue(w0, (ipa & 0x000F_FFFF_FFFF_F000L) | (long) tg << 10);
    }

    @Test
    void anS2IpaInvalidationOfTheRightVmidAndAddressEndsTheStaleTranslation() {
        assertEquals(PA + 0x10, translate(IOVA + 0x10));
        tables.map(IOVA, PA + 0x8000);
        assertEquals(PA + 0x10, translate(IOVA + 0x10), "stale until invalidated");

        tlbiS2Ipa(domain.tag() + 1, IOVA, 0, 0, 0);
        assertEquals(PA + 0x10, translate(IOVA + 0x10), "another VMID's invalidation leaves it");
        tlbiS2Ipa(domain.tag(), IOVA + 0x3000, 0, 0, 0);
        assertEquals(PA + 0x10, translate(IOVA + 0x10), "another address's invalidation leaves it");

        tlbiS2Ipa(domain.tag(), IOVA, 0, 0, 0);
        assertEquals(PA + 0x8010, translate(IOVA + 0x10));
    }

    @Test
    void aRangeInvalidationCoversNumPlusOneTimesTwoToTheScaleGranules() {
        assertEquals(PA + 0x2000, translate(IOVA + 0x2000));
        assertEquals(PA + 0x3000, translate(IOVA + 0x3000));
        tables.map(IOVA + 0x2000, PA + 0x9000);
        tables.map(IOVA + 0x3000, PA + 0xA000);

        tlbiS2Ipa(domain.tag(), IOVA, 1, 2, 0); // TG=4K, (2+1) * 2^0 = 3 pages: IOVA .. IOVA+0x2FFF
        assertEquals(PA + 0x9000, translate(IOVA + 0x2000));
        assertEquals(PA + 0x3000, translate(IOVA + 0x3000), "the fourth page is outside the range");

        tlbiS2Ipa(domain.tag(), IOVA, 1, 1, 1); // (1+1) * 2^1 = 4 pages
        assertEquals(PA + 0xA000, translate(IOVA + 0x3000));
    }

    @Test
    void anS12VmallInvalidationEndsEveryTranslationOfTheVmid() {
        assertEquals(PA + 0x1000, translate(IOVA + 0x1000));
        tables.map(IOVA + 0x1000, PA + 0xB000);
        issue(Smmuv3Command.TLBI_S12_VMALL | (long) domain.tag() << 32, 0);
        assertEquals(PA + 0xB000, translate(IOVA + 0x1000));
    }

    @Test
    void aCfgiSteDropsTheCachedConfiguration() {
        assertEquals(PA, translate(IOVA));
        driver.detach(smmu0, device, -1); // writes an aborting STE and issues CFGI_STE itself
        TranslationResult r = new TranslationResult();
        assertFalse(registry.engine().translate(smmu0.index(), device.sourceId(), -1, IOVA + 0x1000, Access.READ, r));
        assertEquals(FaultStage.CONFIG, r.fault().stage(), r.toString());
    }
}
