package io.nestor.gateway.grpc;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.platform.CacheCounters;
import io.nestor.api.platform.DriverStatus;
import io.nestor.api.platform.Platform;
import io.nestor.api.platform.PlatformListener;
import io.nestor.api.platform.PlatformStatistics;
import io.nestor.api.platform.UnitState;
import io.nestor.api.platform.UnitStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A small in-memory {@link Platform} for the gateway tests: one VT-d unit and one SMMUv3 unit with
 * a device each, both active, whose state the test changes through {@link #setState}, which tells
 * the listeners as the core would.
 */
public final class InMemoryPlatform implements Platform {

    public static final long VTD_CAP = 0x00d2_0080_4066_0462L;
    public static final long VTD_ECAP = 0x0000_0000_00f0_50daL;
    public static final int[] SMMU_IDR = {0x0e4b_0fbf, 0x0000_8410, 0, 0x0000_0004, 0, 0x0000_0075};

    private final Map<String, UnitStatus> units = new LinkedHashMap<>();
    private final List<DeviceInfo> devices = new ArrayList<>();
    private final List<DriverStatus> drivers = new ArrayList<>();
    private final List<PlatformListener> listeners = new CopyOnWriteArrayList<>();

    public InMemoryPlatform() {
        UnitFeatures vtd = new UnitFeatures(true, 20, 57, 46, UnitFeatures.SIZE_4K | UnitFeatures.SIZE_2M
                | UnitFeatures.SIZE_1G, true, true, true, true, false, 16, 0, false, false);
        UnitFeatures smmu = new UnitFeatures(true, 16, 48, 48, UnitFeatures.SIZE_4K | UnitFeatures.SIZE_2M,
                false, false, false, false, true, 16, 16, false, false);
        units.put("dmar0", new UnitStatus("dmar0", "intel-vtd", UnitState.ACTIVE, "1.2.3", vtd, vtdHwInfo()));
        units.put("smmu0", new UnitStatus("smmu0", "arm-smmuv3", UnitState.ACTIVE, "2.0.0", smmu, smmuHwInfo()));
        devices.add(new DeviceInfo("0000:00:02.0", "dmar0", 0x0010, 20, true, false, true, true));
        devices.add(new DeviceInfo("smmu0-dev0", "smmu0", 0x100, 0, false, false, false, false));
        drivers.add(new DriverStatus("intel-vtd", "io.nestor.driver.vtd", 7, "1.2.3", 0, 41, List.of("dmar0")));
        drivers.add(new DriverStatus("arm-smmuv3", "io.nestor.driver.smmuv3", 8, "2.0.0", 5, 42, List.of("smmu0")));
    }

    /** struct iommu_hw_info_vtd: u32 flags, u32 __reserved, u64 cap_reg, u64 ecap_reg. */
    public static HwInfo vtdHwInfo() {
        ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0).putInt(0).putLong(VTD_CAP).putLong(VTD_ECAP);
        Map<String, Long> registers = new LinkedHashMap<>();
        registers.put("CAP", VTD_CAP);
        registers.put("ECAP", VTD_ECAP);
        return new HwInfo(HwInfo.TYPE_INTEL_VTD, b.array(), HwInfo.CAP_DIRTY_TRACKING, 20, registers);
    }

    /** struct iommu_hw_info_arm_smmuv3: u32 flags, u32 __reserved, u32 idr[6], u32 iidr, u32 aidr. */
    public static HwInfo smmuHwInfo() {
        ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0).putInt(0);
        Map<String, Long> registers = new LinkedHashMap<>();
        for (int i = 0; i < SMMU_IDR.length; i++) {
            b.putInt(SMMU_IDR[i]);
            registers.put("IDR" + i, Integer.toUnsignedLong(SMMU_IDR[i]));
        }
        b.putInt(0x43b).putInt(0x2);
        registers.put("IIDR", 0x43bL);
        registers.put("AIDR", 0x2L);
        return new HwInfo(HwInfo.TYPE_ARM_SMMUV3, b.array(), 0, 16, registers);
    }

    /** Changes a unit's state as a driver leaving or arriving would, then tells the listeners. */
    public void setState(String unit, UnitState state) {
        synchronized (this) {
            UnitStatus old = units.get(unit);
            String version = state == UnitState.ACTIVE ? "2.0.1" : "";
            units.put(unit, new UnitStatus(old.name(), old.kind(), state, version, old.features(), old.hwInfo()));
        }
        listeners.forEach(l -> l.platformChanged(unit));
    }

    /** Replaces a unit wholesale, without telling anyone (as a topology edit before notification). */
    public synchronized void putUnit(UnitStatus unit) {
        units.put(unit.name(), unit);
    }

    public int listenerCount() {
        return listeners.size();
    }

    @Override
    public synchronized List<UnitStatus> units() {
        return List.copyOf(units.values());
    }

    @Override
    public synchronized Optional<UnitStatus> unit(String name) {
        return Optional.ofNullable(units.get(name));
    }

    @Override
    public synchronized List<DeviceInfo> devices() {
        return List.copyOf(devices);
    }

    @Override
    public synchronized List<DriverStatus> drivers() {
        return List.copyOf(drivers);
    }

    /** What {@link #statistics()} answers; tests set it. */
    public volatile PlatformStatistics statistics = new PlatformStatistics(
            List.of(new CacheCounters("iotlb", 16384, 3, 40, 2, 3, 0, 1, 0)), Map.of("dmar0", 5L, "smmu0", 0L), 1, true);

    @Override
    public PlatformStatistics statistics() {
        return statistics;
    }

    @Override
    public void addListener(PlatformListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeListener(PlatformListener listener) {
        listeners.remove(listener);
    }
}
