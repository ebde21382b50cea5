package io.nestor.gateway.grpc.platform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.platform.UnitState;
import io.nestor.gateway.grpc.InMemoryPlatform;
import io.nestor.gateway.grpc.InProcessGateway;
import io.nestor.gateway.grpc.proto.Device;
import io.nestor.gateway.grpc.proto.Driver;
import io.nestor.gateway.grpc.proto.GetStatisticsRequest;
import io.nestor.gateway.grpc.proto.GetStatisticsResponse;
import io.nestor.gateway.grpc.proto.GetUnitInfoRequest;
import io.nestor.gateway.grpc.proto.HwInfo;
import io.nestor.gateway.grpc.proto.ListDevicesRequest;
import io.nestor.gateway.grpc.proto.ListDriversRequest;
import io.nestor.gateway.grpc.proto.ListUnitsRequest;
import io.nestor.gateway.grpc.proto.PlatformGrpc;
import io.nestor.gateway.grpc.proto.Register;
import io.nestor.gateway.grpc.proto.Unit;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** nestor.v1.Platform on the in-process transport, answered from an {@link InMemoryPlatform}. */
class PlatformGrpcServiceTest {

    private InProcessGateway gateway;
    private InMemoryPlatform platform;
    private PlatformGrpc.PlatformBlockingStub stub;

    @BeforeEach
    void start() throws Exception {
        gateway = new InProcessGateway();
        platform = new InMemoryPlatform();
        gateway.services.bindPlatform(platform);
        stub = PlatformGrpc.newBlockingStub(gateway.channel);
    }

    @AfterEach
    void stop() throws Exception {
        gateway.close();
    }

    @Test
    void listUnitsReturnsEveryUnitInTopologyOrder() {
        List<Unit> units = stub.listUnits(ListUnitsRequest.getDefaultInstance()).getUnitsList();

        assertEquals(List.of("dmar0", "smmu0"), units.stream().map(Unit::getName).toList());
        Unit dmar = units.get(0);
        assertEquals("intel-vtd", dmar.getKind());
        assertEquals(io.nestor.gateway.grpc.proto.UnitState.UNIT_STATE_ACTIVE, dmar.getState());
        assertEquals("1.2.3", dmar.getDriverVersion());
        assertTrue(dmar.getFeatures().getNesting());
        assertEquals(20, dmar.getFeatures().getPasidBits());
        assertEquals(57, dmar.getFeatures().getInputAddressBits());
        assertEquals(46, dmar.getFeatures().getOutputAddressBits());
        assertEquals(UnitFeatures.SIZE_4K | UnitFeatures.SIZE_2M | UnitFeatures.SIZE_1G,
                dmar.getFeatures().getPgsizeBitmap());
        assertTrue(dmar.getFeatures().getFiveLevelStage1());
        assertFalse(dmar.getFeatures().getStall());
        assertEquals(16, dmar.getFeatures().getDomainIdBits());

        Unit smmu = units.get(1);
        assertEquals("arm-smmuv3", smmu.getKind());
        assertEquals("2.0.0", smmu.getDriverVersion());
        assertTrue(smmu.getFeatures().getStall());
        assertEquals(16, smmu.getFeatures().getStreamIdBits());
        assertEquals(2, smmu.getHwInfo().getOutDataType());
    }

    @Test
    void getUnitInfoCarriesTheHwInfoBytesAndRegisters() {
        Unit dmar = stub.getUnitInfo(GetUnitInfoRequest.newBuilder().setName("dmar0").build()).getUnit();
        HwInfo hw = dmar.getHwInfo();

        assertEquals(1, hw.getOutDataType());
        assertEquals(io.nestor.api.driver.HwInfo.CAP_DIRTY_TRACKING, hw.getOutCapabilities());
        assertEquals(20, hw.getOutMaxPasidLog2());
        byte[] data = hw.getData().toByteArray();
        assertArrayEquals(InMemoryPlatform.vtdHwInfo().data(), data);
        // struct iommu_hw_info_vtd: cap_reg at offset 8, ecap_reg at 16, little-endian.
        ByteBuffer le = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(InMemoryPlatform.VTD_CAP, le.getLong(8));
        assertEquals(InMemoryPlatform.VTD_ECAP, le.getLong(16));
        assertEquals(List.of(register("CAP", InMemoryPlatform.VTD_CAP), register("ECAP", InMemoryPlatform.VTD_ECAP)),
                hw.getRegistersList());
    }

    @Test
    void getUnitInfoKeepsTheSmmuRegisterOrder() {
        HwInfo hw = stub.getUnitInfo(GetUnitInfoRequest.newBuilder().setName("smmu0").build()).getUnit().getHwInfo();

        assertEquals(List.of("IDR0", "IDR1", "IDR2", "IDR3", "IDR4", "IDR5", "IIDR", "AIDR"),
                hw.getRegistersList().stream().map(Register::getName).toList());
        assertEquals(Integer.toUnsignedLong(InMemoryPlatform.SMMU_IDR[0]), hw.getRegisters(0).getValue());
        assertEquals(40, hw.getData().size());
        // idr[1] is the second u32 after flags and __reserved.
        assertEquals(InMemoryPlatform.SMMU_IDR[1],
                ByteBuffer.wrap(hw.getData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN).getInt(12));
    }

    @Test
    void getUnitInfoShowsAnUnavailableUnitWithoutHwInfo() {
        io.nestor.api.platform.UnitStatus old = platform.unit("smmu0").orElseThrow();
        platform.putUnit(new io.nestor.api.platform.UnitStatus(old.name(), old.kind(), UnitState.UNAVAILABLE, "",
                old.features(), null));

        Unit smmu = stub.getUnitInfo(GetUnitInfoRequest.newBuilder().setName("smmu0").build()).getUnit();

        assertEquals(io.nestor.gateway.grpc.proto.UnitState.UNIT_STATE_UNAVAILABLE, smmu.getState());
        assertEquals("", smmu.getDriverVersion());
        assertFalse(smmu.hasHwInfo());
        assertTrue(smmu.hasFeatures());
    }

    @Test
    void getUnitInfoOfAnUnknownUnitIsNotFoundWithEnoent() throws InvalidProtocolBufferException {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> stub.getUnitInfo(GetUnitInfoRequest.newBuilder().setName("dmar9").build()));

        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("dmar9"), e.getStatus().getDescription());
        ErrorInfo info = errorInfo(e);
        assertEquals("ENOENT", info.getReason());
        assertEquals("nestor.io", info.getDomain());
        assertEquals("2", info.getMetadataOrThrow("errno"));
    }

    @Test
    void getUnitInfoWithoutANameIsInvalid() throws InvalidProtocolBufferException {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> stub.getUnitInfo(GetUnitInfoRequest.getDefaultInstance()));

        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals("EINVAL", errorInfo(e).getReason());
        assertEquals("22", errorInfo(e).getMetadataOrThrow("errno"));
    }

    @Test
    void listDevicesReturnsEveryDevice() {
        List<Device> devices = stub.listDevices(ListDevicesRequest.getDefaultInstance()).getDevicesList();

        assertEquals(2, devices.size());
        Device gpu = devices.get(0);
        assertEquals("0000:00:02.0", gpu.getName());
        assertEquals("dmar0", gpu.getUnit());
        assertEquals(0x0010, gpu.getSourceId());
        assertEquals(20, gpu.getPasidBits());
        assertTrue(gpu.getPasidExec());
        assertFalse(gpu.getPasidPriv());
        assertTrue(gpu.getAts());
        assertTrue(gpu.getPri());
        assertEquals("smmu0", devices.get(1).getUnit());
        assertEquals(0x100, devices.get(1).getSourceId());
    }

    @Test
    void listDriversReturnsEveryDriver() {
        List<Driver> drivers = stub.listDrivers(ListDriversRequest.getDefaultInstance()).getDriversList();

        assertEquals(List.of("intel-vtd", "arm-smmuv3"), drivers.stream().map(Driver::getKind).toList());
        Driver smmu = drivers.get(1);
        assertEquals("io.nestor.driver.smmuv3", smmu.getBundleSymbolicName());
        assertEquals(8, smmu.getBundleId());
        assertEquals("2.0.0", smmu.getVersion());
        assertEquals(5, smmu.getRanking());
        assertEquals(42, smmu.getServiceId());
        assertEquals(List.of("smmu0"), smmu.getUnitsList());
    }

    @Test
    void everyCallIsUnavailableWhileNoPlatformIsBound() throws Throwable {
        gateway.services.unbindPlatform(platform);

        List<Executable> calls = List.of(
                () -> stub.listUnits(ListUnitsRequest.getDefaultInstance()),
                () -> stub.listDevices(ListDevicesRequest.getDefaultInstance()),
                () -> stub.getUnitInfo(GetUnitInfoRequest.newBuilder().setName("dmar0").build()),
                () -> stub.listDrivers(ListDriversRequest.getDefaultInstance()));
        for (Executable call : calls) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::execute);
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
            assertEquals("EAGAIN", errorInfo(e).getReason());
        }

        gateway.services.bindPlatform(platform);
        assertEquals(2, stub.listUnits(ListUnitsRequest.getDefaultInstance()).getUnitsCount());
    }

    @Test
    void aGreedyReplacementServesTheNewPlatform() {
        InMemoryPlatform replacement = new InMemoryPlatform();
        replacement.setState("dmar0", UnitState.UNAVAILABLE);

        // DS binds the higher-ranked service before it unbinds the old one.
        gateway.services.bindPlatform(replacement);
        gateway.services.unbindPlatform(platform);

        Unit dmar = stub.getUnitInfo(GetUnitInfoRequest.newBuilder().setName("dmar0").build()).getUnit();
        assertEquals(io.nestor.gateway.grpc.proto.UnitState.UNIT_STATE_UNAVAILABLE, dmar.getState());
    }

    private static Register register(String name, long value) {
        return Register.newBuilder().setName(name).setValue(value).build();
    }

    private static ErrorInfo errorInfo(StatusRuntimeException e) throws InvalidProtocolBufferException {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        assertEquals(1, status.getDetailsCount());
        return status.getDetails(0).unpack(ErrorInfo.class);
    }

    @Test
    void getStatisticsCarriesEveryCounterOfThePlatform() {
        GetStatisticsResponse r = stub.getStatistics(GetStatisticsRequest.getDefaultInstance());
        assertEquals(1, r.getCachesCount());
        assertEquals("iotlb", r.getCaches(0).getCache());
        assertEquals(16384, r.getCaches(0).getCapacity());
        assertEquals(3, r.getCaches(0).getEntries());
        assertEquals(40, r.getCaches(0).getHits());
        assertEquals(2, r.getCaches(0).getMisses());
        assertEquals(1, r.getCaches(0).getInvalidations());
        assertEquals(java.util.Map.of("dmar0", 5L, "smmu0", 0L), r.getFaultsByUnitMap());
        assertEquals(1, r.getStaleTranslations());
        assertEquals(true, r.getStrict());
    }
}
