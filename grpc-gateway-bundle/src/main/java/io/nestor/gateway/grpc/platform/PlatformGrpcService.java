package io.nestor.gateway.grpc.platform;

import io.grpc.stub.StreamObserver;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.platform.Platform;
import io.nestor.gateway.grpc.error.UnaryCall;
import io.nestor.gateway.grpc.proto.GetStatisticsRequest;
import io.nestor.gateway.grpc.proto.GetStatisticsResponse;
import io.nestor.gateway.grpc.proto.GetUnitInfoRequest;
import io.nestor.gateway.grpc.proto.GetUnitInfoResponse;
import io.nestor.gateway.grpc.proto.ListDevicesRequest;
import io.nestor.gateway.grpc.proto.ListDevicesResponse;
import io.nestor.gateway.grpc.proto.ListDriversRequest;
import io.nestor.gateway.grpc.proto.ListDriversResponse;
import io.nestor.gateway.grpc.proto.ListUnitsRequest;
import io.nestor.gateway.grpc.proto.ListUnitsResponse;
import io.nestor.gateway.grpc.proto.PlatformGrpc;
import java.util.Objects;

/**
 * {@code nestor.v1.Platform}: read-only views of the platform topology, answered from whichever
 * {@link Platform} service is bound at the time of the call.
 *
 * <p>Invariants: each call reads one snapshot of the platform and holds no state between calls;
 * without a bound platform every call fails with {@code UNAVAILABLE} (errno {@code EAGAIN}).
 */
public final class PlatformGrpcService extends PlatformGrpc.PlatformImplBase {

    private final PlatformBinding binding;

    public PlatformGrpcService(PlatformBinding binding) {
        this.binding = Objects.requireNonNull(binding, "binding");
    }

    @Override
    public void listUnits(ListUnitsRequest request, StreamObserver<ListUnitsResponse> responses) {
        UnaryCall.answer(responses, () -> {
            ListUnitsResponse.Builder out = ListUnitsResponse.newBuilder();
            binding.require().units().forEach(u -> out.addUnits(PlatformMessages.unit(u)));
            return out.build();
        });
    }

    @Override
    public void listDevices(ListDevicesRequest request, StreamObserver<ListDevicesResponse> responses) {
        UnaryCall.answer(responses, () -> {
            Platform platform = binding.require();
            return ListDevicesResponse.newBuilder()
                    .addAllDevices(PlatformMessages.devices(platform.devices(), platform.mediatedDevices()))
                    .build();
        });
    }

    @Override
    public void getUnitInfo(GetUnitInfoRequest request, StreamObserver<GetUnitInfoResponse> responses) {
        UnaryCall.answer(responses, () -> {
            Platform platform = binding.require();
            String name = request.getName();
            if (name.isEmpty()) {
                throw new IommuException(Errno.EINVAL, "GetUnitInfo: name is empty");
            }
            return platform.unit(name)
                    .map(u -> GetUnitInfoResponse.newBuilder().setUnit(PlatformMessages.unit(u)).build())
                    .orElseThrow(() -> IommuException.of(Errno.ENOENT, "no unit named '%s'", name));
        });
    }

    @Override
    public void listDrivers(ListDriversRequest request, StreamObserver<ListDriversResponse> responses) {
        UnaryCall.answer(responses, () -> {
            ListDriversResponse.Builder out = ListDriversResponse.newBuilder();
            binding.require().drivers().forEach(d -> out.addDrivers(PlatformMessages.driver(d)));
            return out.build();
        });
    }

    @Override
    public void getStatistics(GetStatisticsRequest request, StreamObserver<GetStatisticsResponse> responses) {
        UnaryCall.answer(responses, () -> PlatformMessages.statistics(binding.require().statistics()));
    }
}
