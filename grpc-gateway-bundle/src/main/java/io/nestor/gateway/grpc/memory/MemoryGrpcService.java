package io.nestor.gateway.grpc.memory;

import io.grpc.stub.StreamObserver;
import io.nestor.api.session.MemoryRegionInfo;
import io.nestor.gateway.grpc.GatewayLimits;
import io.nestor.gateway.grpc.error.UnaryCall;
import io.nestor.gateway.grpc.proto.CreateRegionRequest;
import io.nestor.gateway.grpc.proto.CreateRegionResponse;
import io.nestor.gateway.grpc.proto.DestroyRegionRequest;
import io.nestor.gateway.grpc.proto.DestroyRegionResponse;
import io.nestor.gateway.grpc.proto.ListRegionsRequest;
import io.nestor.gateway.grpc.proto.ListRegionsResponse;
import io.nestor.gateway.grpc.proto.MemoryGrpc;
import io.nestor.gateway.grpc.proto.MemoryReadRequest;
import io.nestor.gateway.grpc.proto.MemoryReadResponse;
import io.nestor.gateway.grpc.proto.MemoryWriteRequest;
import io.nestor.gateway.grpc.proto.MemoryWriteResponse;
import io.nestor.gateway.grpc.proto.Region;
import io.nestor.gateway.grpc.session.CallSession;
import com.google.protobuf.UnsafeByteOperations;

/** {@code nestor.v1.Memory}: the calling session's memory regions. */
public final class MemoryGrpcService extends MemoryGrpc.MemoryImplBase {

    @Override
    public void createRegion(CreateRegionRequest request, StreamObserver<CreateRegionResponse> responses) {
        UnaryCall.answer(responses, () -> CreateRegionResponse.newBuilder()
                .setRegion(region(CallSession.current().memory().create(request.getSize(), request.getFileName())))
                .build());
    }

    @Override
    public void read(MemoryReadRequest request, StreamObserver<MemoryReadResponse> responses) {
        UnaryCall.answer(responses, () -> {
            int length = GatewayLimits.checkReadLength(request.getLength());
            byte[] data = CallSession.current().memory().read(request.getUserVa(), length);
            return MemoryReadResponse.newBuilder().setData(UnsafeByteOperations.unsafeWrap(data)).build();
        });
    }

    @Override
    public void write(MemoryWriteRequest request, StreamObserver<MemoryWriteResponse> responses) {
        UnaryCall.answer(responses, () -> {
            CallSession.current().memory().write(request.getUserVa(), request.getData().toByteArray());
            return MemoryWriteResponse.getDefaultInstance();
        });
    }

    @Override
    public void destroyRegion(DestroyRegionRequest request, StreamObserver<DestroyRegionResponse> responses) {
        UnaryCall.answer(responses, () -> {
            CallSession.current().memory().destroy(request.getRegionId());
            return DestroyRegionResponse.getDefaultInstance();
        });
    }

    @Override
    public void listRegions(ListRegionsRequest request, StreamObserver<ListRegionsResponse> responses) {
        UnaryCall.answer(responses, () -> {
            ListRegionsResponse.Builder out = ListRegionsResponse.newBuilder();
            CallSession.current().memory().list().forEach(r -> out.addRegions(region(r)));
            return out.build();
        });
    }

    static Region region(MemoryRegionInfo r) {
        return Region.newBuilder()
                .setRegionId(r.regionId())
                .setSize(r.size())
                .setUserVa(r.userVa())
                .setHostPhysicalBase(r.hostPhysicalBase())
                .setFilePath(r.filePath())
                .setPins(r.pins())
                .build();
    }

}
