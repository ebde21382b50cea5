package io.nestor.core.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.Access;
import io.nestor.core.ioasid.IoasidSet;
import io.nestor.core.iommufd.ContextOptions;
import io.nestor.core.iommufd.DeviceBindings;
import io.nestor.core.iommufd.IommufdPlatform;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.session.RegionTable;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.translate.TranslationResult;
import io.nestor.core.unit.DriverBinding;
import io.nestor.core.unit.IommuUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.function.Executable;

/**
 * A platform over real parts for container tests: the default topology (dmar0 with groups 0–3,
 * smmu0 with groups 4–6, the mediated devices of 0000:00:02.0 with groups 7–8), sparse memory,
 * the registry and its engine, test drivers of both kinds, one session's regions and PASID set. Snapshots capture everything a failed call must leave as it
 * was.
 */
final class VfioFixture {
    static final long VA = 0x7f00_0000_0000L;
    static final long PA = 0x1_0000_0000L;
    static final long REGION = 64L << 20;
    static final int RW = VfioDmaFlags.MAP_READ | VfioDmaFlags.MAP_WRITE;

    final SparsePhysicalMemory memory = new SparsePhysicalMemory(48);
    final DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(), memory);
    final NestingTestDriver vtd = new NestingTestDriver("intel-vtd");
    final NestingTestDriver smmu = new NestingTestDriver("arm-smmuv3");
    final VfioGroupTable groups = new VfioGroupTable(registry);
    final DeviceBindings bindings = new DeviceBindings();
    final IommufdPlatform platform = IommufdPlatform.of(registry, bindings);
    final RegionTable regions = new RegionTable(4096);
    final Object session = new Object();
    final IoasidSet pasids;
    final List<VfioContainer> containers = new ArrayList<>();

    VfioFixture() {
        this(16);
    }

    VfioFixture(int pasidQuota) {
        registry.addDriver(new DriverBinding(vtd, vtd.kind(), "test.vtd", 1, "1.0.0", 0, 1));
        registry.addDriver(new DriverBinding(smmu, smmu.kind(), "test.smmu", 2, "1.0.0", 0, 2));
        regions.createRegion(VA, REGION, PA, true);
        regions.createRegion(VA + REGION, 1L << 20, PA + REGION, false);
        pasids = registry.ioasids().openSet("session-a", pasidQuota);
    }

    VfioContainer container() {
        return container(VfioContainerOptions.defaults());
    }

    /** A container of another session, with its own PASID set (or none). */
    VfioContainer stranger(Object otherSession, IoasidSet otherPasids) {
        VfioContainer c = new VfioContainer(platform, groups, otherSession, regions, ContextOptions.defaults(),
                VfioContainerOptions.defaults(), otherPasids);
        containers.add(c);
        return c;
    }

    VfioContainer container(VfioContainerOptions options) {
        VfioContainer c = new VfioContainer(platform, groups, session, regions, ContextOptions.defaults(), options,
                pasids);
        containers.add(c);
        return c;
    }

    /** A container with {@code group} set and IOMMU {@code type}. */
    VfioContainer container(int group, int type) {
        VfioContainer c = container();
        c.setContainer(group);
        c.setIommu(type);
        return c;
    }

    IommuUnit unit(String name) {
        return registry.runtimeUnit(name).orElseThrow();
    }

    DeviceInfo device(int group) {
        return groups.device(group);
    }

    /** The host address {@code iova} translates to for a read by group {@code group}'s device, or -1. */
    long translate(int group, long iova) {
        DeviceInfo d = device(group);
        TranslationResult r = new TranslationResult();
        boolean ok = registry.engine().translate(unit(d.unit()).index(), d.sourceId(), DeviceInfo.NO_PASID, iova,
                Access.READ, r);
        return ok ? r.outputAddress() : -1;
    }

    long structurePages() {
        return registry.structurePages().livePages();
    }

    /** Everything a failed call must not change. */
    record Snapshot(List<String> mappings, List<Integer> groups, boolean iommuSet, long structurePages, long pins,
            List<String> driverCalls, List<Integer> bound, int pasidsCounted, List<Integer> pasidsLive) {

        /** The same state, ignoring the calls made (a failure may allocate and free again). */
        Snapshot withoutCalls() {
            return new Snapshot(mappings, groups, iommuSet, structurePages, pins, List.of(), bound, pasidsCounted,
                    pasidsLive);
        }
    }

    Snapshot snapshot(VfioContainer c) {
        List<String> maps = new ArrayList<>();
        for (long[] m : c.mappings()) {
            maps.add(Long.toHexString(m[0]) + "+" + Long.toHexString(m[1]) + "@" + Long.toHexString(m[2]) + ":" + m[3]);
        }
        List<String> calls = new ArrayList<>(vtd.ops());
        calls.addAll(smmu.ops());
        return new Snapshot(maps, c.groups(), c.iommuSet(), structurePages(), regions.totalPins(), calls,
                c.boundPasids(), pasids.count(), pasids.pasids());
    }

    /** Asserts {@code call} fails with {@code errno} and leaves the state as it was, whatever it called. */
    IommuException assertFailsRolledBack(Errno errno, VfioContainer c, Executable call) {
        Snapshot before = snapshot(c).withoutCalls();
        IommuException e = assertThrows(IommuException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
        assertEquals(before, snapshot(c).withoutCalls(), "state changed by a failed call: " + e.getMessage());
        return e;
    }

    /** Asserts {@code call} fails with {@code errno} and changes nothing observable. */
    IommuException assertFailsUnchanged(Errno errno, VfioContainer c, Executable call) {
        Snapshot before = snapshot(c);
        IommuException e = assertThrows(IommuException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
        assertEquals(before, snapshot(c), "state changed by a failed call: " + e.getMessage());
        return e;
    }
}
