package io.nestor.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.session.SessionQuotas;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.platform.PlatformComponent;
import io.nestor.core.service.SessionManager;
import io.nestor.core.service.SessionSettings;
import io.nestor.core.unit.DriverBinding;
import io.nestor.driver.smmuv3.Smmuv3Driver;
import io.nestor.driver.vtd.VtdDriver;
import io.nestor.driver.vtd.host.VtdUnitBringUp;
import io.nestor.gateway.grpc.proto.BindIommufdRequest;
import io.nestor.gateway.grpc.proto.IommufdGrpc;
import io.nestor.gateway.grpc.proto.IommufdOpenRequest;
import io.nestor.gateway.grpc.proto.OpenSessionRequest;
import io.nestor.gateway.grpc.proto.OpenSessionResponse;
import io.nestor.gateway.grpc.proto.SessionsGrpc;
import io.nestor.gateway.grpc.proto.VfioDeviceGrpc;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.function.Executable;

/**
 * The gateway on the in-process transport in front of the REAL core: the platform component with
 * the embedded default topology, the real VT-d driver bound to {@code dmar0} (brought up, so that
 * DMA from a device attached to no domain faults in its configuration), the real SMMUv3 driver bound
 * to {@code smmu0}, and the real session service.
 */
public final class CoreGateway implements AutoCloseable {
    /** A legacy device of dmar0: no PASID, no PRI. */
    public static final String VTD_DEVICE = "0000:00:04.0";
    /** The accelerator of dmar0: PASID and PRI. */
    public static final String PRI_DEVICE = "0000:00:02.0";
    /** A device behind smmu0. */
    public static final String ARM_DEVICE = "0001:00:01.0";

    public final PlatformComponent platform = new PlatformComponent();
    public final DriverRegistry registry;
    public final SessionManager sessions;
    public final InProcessGateway gateway;

    public CoreGateway(Path regionDir, long defaultLeaseMillis, SessionQuotas quotas) throws Exception {
        platform.activate(Map.of());
        registry = platform.registry();
        registry.addDriver(new DriverBinding(new VtdDriver(), IommuDriver.KIND_INTEL_VTD, "io.nestor.driver.vtd", 1,
                "1.0.0", 0, 1L));
        VtdUnitBringUp.ensure(registry.runtimeUnit("dmar0").orElseThrow());
        registry.addDriver(new DriverBinding(new Smmuv3Driver(), IommuDriver.KIND_ARM_SMMUV3,
                "io.nestor.driver.smmuv3", 2, "1.0.0", 0, 2L));
        sessions = SessionManager.over(registry,
                SessionSettings.defaults(regionDir).withDefaultLease(defaultLeaseMillis).withQuotas(quotas));
        gateway = new InProcessGateway();
        gateway.services.bindPlatform(platform);
        gateway.services.bindSessions(sessions);
    }

    public CoreGateway(Path regionDir) throws Exception {
        this(regionDir, 60_000, new SessionQuotas(64L << 20, 64, 64));
    }

    /** A DMA request from {@code device}, without PASID. */
    public static io.nestor.gateway.grpc.proto.DmaRequest dmaRequest(String device, long iova, int perm) {
        return io.nestor.gateway.grpc.proto.DmaRequest.newBuilder()
                .setSource(io.nestor.gateway.grpc.proto.DmaSource.newBuilder().setDevice(device))
                .setIova(iova).setPerm(perm).build();
    }

    /** Where a test bound a device: the iommufd context it opened and the DEVICE id. */
    public record Bound(int iommufd, int devId) {
    }

    /**
     * Opens an iommufd context in {@code sessionId} and binds {@code device} to it over gRPC, which
     * makes the session the device's owner (only the owner issues its DMA and receives its events).
     */
    public Bound bind(String sessionId, String device) {
        Channel channel = as(sessionId);
        int fd = IommufdGrpc.newBlockingStub(channel).open(IommufdOpenRequest.getDefaultInstance()).getIommufd();
        int devId = VfioDeviceGrpc.newBlockingStub(channel).bindIommufd(BindIommufdRequest.newBuilder()
                .setDevice(device).setIommufd(fd).build()).getOutDevid();
        return new Bound(fd, devId);
    }

    /** Opens a session over gRPC; returns its id. */
    public String open(String client, long leaseMillis) {
        OpenSessionResponse r = SessionsGrpc.newBlockingStub(gateway.channel)
                .open(OpenSessionRequest.newBuilder().setClientName(client).setLeaseMillis(leaseMillis).build());
        return r.getSessionId();
    }

    /** A channel whose calls carry {@code nestor-session: id}. */
    public Channel as(String sessionId) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("nestor-session", Metadata.ASCII_STRING_MARSHALLER), sessionId);
        return ClientInterceptors.intercept(gateway.channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    @Override
    public void close() throws Exception {
        gateway.close();
        sessions.close();
    }

    /**
     * Runs {@code call}, expects it to fail with {@code code}, and returns the ErrorInfo, whose
     * reason must be {@code errno}.
     */
    public static ErrorInfo fails(Status.Code code, String errno, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.toString());
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        try {
            assertEquals(1, status.getDetailsCount(), "one ErrorInfo detail");
            ErrorInfo info = status.getDetails(0).unpack(ErrorInfo.class);
            assertEquals(errno, info.getReason(), e.toString());
            return info;
        } catch (InvalidProtocolBufferException x) {
            throw new AssertionError(x);
        }
    }
}
