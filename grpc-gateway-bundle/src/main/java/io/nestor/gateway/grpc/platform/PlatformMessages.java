package io.nestor.gateway.grpc.platform;

import com.google.protobuf.ByteString;
import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.platform.CacheCounters;
import io.nestor.api.platform.DriverStatus;
import io.nestor.api.platform.MediatedDevice;
import io.nestor.api.platform.PlatformStatistics;
import io.nestor.api.platform.UnitStatus;
import io.nestor.gateway.grpc.proto.CacheStatistics;
import io.nestor.gateway.grpc.proto.Device;
import io.nestor.gateway.grpc.proto.Driver;
import io.nestor.gateway.grpc.proto.GetStatisticsResponse;
import io.nestor.gateway.grpc.proto.HwInfo;
import io.nestor.gateway.grpc.proto.Register;
import io.nestor.gateway.grpc.proto.Unit;
import io.nestor.gateway.grpc.proto.UnitFeatures;
import io.nestor.gateway.grpc.proto.UnitState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Converts the platform API's snapshots into the {@code nestor.v1} messages of common.proto and
 * platform.proto. Pure functions: nothing is cached, nothing is validated (the API records are
 * already valid), and every API field has a message field.
 */
public final class PlatformMessages {

    private PlatformMessages() {
    }

    public static Unit unit(UnitStatus status) {
        Unit.Builder unit = Unit.newBuilder()
                .setName(status.name())
                .setKind(status.kind())
                .setState(state(status.state()))
                .setDriverVersion(status.driverVersion())
                .setFeatures(features(status.features()));
        if (status.hwInfo() != null) {
            unit.setHwInfo(hwInfo(status.hwInfo()));
        }
        return unit.build();
    }

    public static UnitState state(io.nestor.api.platform.UnitState state) {
        return switch (state) {
            case ACTIVE -> UnitState.UNIT_STATE_ACTIVE;
            case UNAVAILABLE -> UnitState.UNIT_STATE_UNAVAILABLE;
        };
    }

    public static UnitFeatures features(io.nestor.api.driver.UnitFeatures f) {
        return UnitFeatures.newBuilder()
                .setNesting(f.nesting())
                .setPasidBits(f.pasidBits())
                .setInputAddressBits(f.inputAddressBits())
                .setOutputAddressBits(f.outputAddressBits())
                .setPgsizeBitmap(f.pageSizes())
                .setFiveLevelStage1(f.fiveLevelStage1())
                .setPageRequests(f.pageRequests())
                .setDeviceTlb(f.deviceTlb())
                .setDirtyTracking(f.dirtyTracking())
                .setStall(f.stall())
                .setDomainIdBits(f.domainIdBits())
                .setStreamIdBits(f.streamIdBits())
                .setCachingMode(f.cachingMode())
                .setHardwareMsiRegion(f.hardwareMsiRegion())
                .build();
    }

    public static HwInfo hwInfo(io.nestor.api.driver.HwInfo info) {
        HwInfo.Builder out = HwInfo.newBuilder()
                .setOutDataType(info.type())
                .setData(ByteString.copyFrom(info.data()))
                .setOutCapabilities(info.capabilities())
                .setOutMaxPasidLog2(info.maxPasidLog2());
        for (Map.Entry<String, Long> register : info.registers().entrySet()) {
            out.addRegisters(Register.newBuilder().setName(register.getKey()).setValue(register.getValue()));
        }
        return out.build();
    }

    /**
     * A device's message; {@code mediation} is present when it is an IOMMU-backed mediated device
     * (parent and default PASID are then set; a physical device has "" and 0).
     */
    public static Device device(DeviceInfo d, Optional<MediatedDevice> mediation) {
        Device.Builder out = Device.newBuilder()
                .setName(d.name())
                .setUnit(d.unit())
                .setSourceId(d.sourceId())
                .setPasidBits(d.pasidBits())
                .setPasidExec(d.pasidExec())
                .setPasidPriv(d.pasidPriv())
                .setAts(d.ats())
                .setPri(d.pri());
        mediation.ifPresent(m -> out.setParent(m.parent()).setDefaultPasid(m.defaultPasid()));
        return out.build();
    }

    /**
     * Every device of {@code devices}, in their order, each with its mediation from
     * {@code mediated} (the platform's {@code mediatedDevices()}) when it has one.
     */
    public static List<Device> devices(List<DeviceInfo> devices, List<MediatedDevice> mediated) {
        Map<String, MediatedDevice> byName = new HashMap<>();
        for (MediatedDevice m : mediated) {
            byName.put(m.name(), m);
        }
        List<Device> out = new ArrayList<>(devices.size());
        for (DeviceInfo d : devices) {
            out.add(device(d, Optional.ofNullable(byName.get(d.name()))));
        }
        return out;
    }

    public static Driver driver(DriverStatus d) {
        return Driver.newBuilder()
                .setKind(d.kind())
                .setBundleSymbolicName(d.bundleSymbolicName())
                .setBundleId(d.bundleId())
                .setVersion(d.version())
                .setRanking(d.ranking())
                .setServiceId(d.serviceId())
                .addAllUnits(d.units())
                .build();
    }

    public static GetStatisticsResponse statistics(PlatformStatistics s) {
        GetStatisticsResponse.Builder out = GetStatisticsResponse.newBuilder()
                .putAllFaultsByUnit(s.faultsByUnit())
                .setStaleTranslations(s.staleTranslations())
                .setStrict(s.strict());
        for (CacheCounters c : s.caches()) {
            out.addCaches(CacheStatistics.newBuilder().setCache(c.cache()).setCapacity(c.capacity())
                    .setEntries(c.entries()).setHits(c.hits()).setMisses(c.misses()).setFills(c.fills())
                    .setEvictions(c.evictions()).setInvalidations(c.invalidations())
                    .setInvalidatedEntries(c.invalidatedEntries()));
        }
        return out.build();
    }
}
