package io.nestor.core.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.api.translation.StageConfig;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.pagetable.PageTableBuilder;
import io.nestor.core.testformat.TestPageTableFormat;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.translate.TranslationResult;
import io.nestor.core.unit.DriverBinding;
import io.nestor.core.unit.IommuUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a unit's context offers its driver beyond registers and memory, over the real registry. */
class UnitContextServicesTest {

    /** 0000:00:02.0 behind dmar0 in the default topology. */
    private static final int SID = 0x10;

    private final SparsePhysicalMemory memory = new SparsePhysicalMemory(52);
    private DriverRegistry registry;
    private IommuUnit dmar0;
    private IommuUnit smmu0;
    private RecordingDriver vtd;

    @BeforeEach
    void setUp() throws Exception {
        registry = new DriverRegistry(TopologyFile.embeddedDefault(), memory);
        vtd = new RecordingDriver("intel-vtd", 1);
        registry.addDriver(new DriverBinding(vtd, vtd.kind(), "test.vtd", 11, "1.0.0", 0, 1));
        dmar0 = registry.runtimeUnit("dmar0").orElseThrow();
        smmu0 = registry.runtimeUnit("smmu0").orElseThrow();
    }

    private int decodes() {
        return (int) vtd.calls.stream().filter(c -> c.startsWith("decode")).count();
    }

    private void translate() {
        TranslationResult r = new TranslationResult();
        assertTrue(registry.engine().translate(dmar0.index(), SID, -1, 0x1000, Access.READ, r), r::toString);
    }

    @Test
    void anInvalidationOfTheUnitsOwnScopeReachesItsCaches() {
        translate();
        translate();
        assertEquals(1, decodes(), "the second request is served from the caches");

        dmar0.invalidate(new InvalidationScope.DeviceConfig(dmar0.index(), SID, -1));
        translate();
        assertEquals(2, decodes(), "the configuration was dropped, so it is decoded again");
    }

    @Test
    void aUnitMayNotInvalidateAnotherUnitOrEveryUnit() {
        translate();
        IommuException other = assertThrows(IommuException.class,
                () -> dmar0.invalidate(new InvalidationScope.Unit(smmu0.index())));
        assertEquals(Errno.EINVAL, other.errno());
        assertTrue(other.getMessage().contains("dmar0"), other.getMessage());
        assertEquals(Errno.EINVAL,
                assertThrows(IommuException.class, () -> dmar0.invalidate(new InvalidationScope.All())).errno());
        translate();
        assertEquals(1, decodes(), "a refused scope removed nothing");
    }

    @Test
    void structurePagesAreAlignedZeroedCountedAndFreedWhole() {
        long before = registry.structurePages().livePages();
        long four = dmar0.allocatePages(4);
        assertEquals(0, four % (4 * 4096), "aligned to the allocation's size");
        assertEquals(0, memory.read64(four + 3 * 4096 + 8));
        memory.write64(four, -1L);
        assertEquals(before + 4, registry.structurePages().livePages());

        IommuException wrongCount = assertThrows(IommuException.class, () -> dmar0.freePages(four, 8));
        assertEquals(Errno.EINVAL, wrongCount.errno());
        assertEquals(before + 4, registry.structurePages().livePages(), "a refused free frees nothing");

        dmar0.freePages(four, 4);
        assertEquals(before, registry.structurePages().livePages());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> dmar0.freePages(four, 4)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> dmar0.allocatePages(3)).errno());
    }

    @Test
    void idSpacesHandOutTheLowestFreeIdAndBelongToTheUnitNotTheDriver() {
        assertEquals(1, dmar0.allocateId("did", 1, 3));
        assertEquals(2, dmar0.allocateId("did", 1, 3));
        assertEquals(1, smmu0.allocateId("did", 1, 3), "each unit has its own spaces");
        assertEquals(1, dmar0.allocateId("asid", 1, 3), "each space is separate");

        registry.removeDriver(1);
        registry.addDriver(new DriverBinding(vtd, vtd.kind(), "test.vtd", 12, "1.1.0", 0, 2));
        assertEquals(3, dmar0.allocateId("did", 1, 3), "ids taken before the swap stay taken");
        IommuException full = assertThrows(IommuException.class, () -> dmar0.allocateId("did", 1, 3));
        assertEquals(Errno.ENOSPC, full.errno());

        dmar0.freeId("did", 2);
        assertEquals(2, dmar0.allocateId("did", 1, 3));
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> dmar0.freeId("did", 9)).errno());
        assertEquals(3, dmar0.allocatedIds("did"));
    }

    @Test
    void stage2StructureFetchesWalkTheGivenTablesAndFaultWithTheIpa() throws FaultException {
        TestPageTableFormat format = TestPageTableFormat.granule4k();
        PageTableBuilder stage2 = new PageTableBuilder(format, registry.structurePages(), 1L << 12);
        stage2.map(0x20_0000, 0x7_0000_0000L, 0x1000, Permission.READ | Permission.USER);
        StageConfig config = new StageConfig(format, stage2.rootAddress(), false);

        assertEquals(0x7_0000_0123L, dmar0.translateStage2(config, 5, 0x20_0123, Access.READ));
        FaultException fault = assertThrows(FaultException.class,
                () -> dmar0.translateStage2(config, 5, 0x30_0040, Access.READ));
        assertEquals(FaultStage.STAGE2, fault.fault().stage());
        assertEquals(0x30_0040, fault.fault().faultAddress());
        stage2.destroy();
    }

    @Test
    void pageResponsesReachTheListenersWithTheUnitsName() {
        List<String> seen = new ArrayList<>();
        registry.addPageResponseListener((unit, sourceId, response) ->
                seen.add(unit + " " + Integer.toHexString(sourceId) + " " + response.groupIndex() + " "
                        + response.code()));
        dmar0.completePageRequest(SID, new PageResponse(3, 7, false, PageResponseCode.INVALID));
        assertEquals(List.of("dmar0 10 7 INVALID"), seen);
    }

    @Test
    void theRegisterLockIsTheUnitsAndReentrant() {
        dmar0.registerLock().lock();
        try {
            assertTrue(dmar0.registerLock().tryLock(), "reentrant for the holder");
            dmar0.registerLock().unlock();
        } finally {
            dmar0.registerLock().unlock();
        }
        assertTrue(dmar0.registerLock() != smmu0.registerLock());
    }
}
