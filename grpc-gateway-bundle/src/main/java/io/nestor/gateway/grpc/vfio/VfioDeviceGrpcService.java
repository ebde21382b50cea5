package io.nestor.gateway.grpc.vfio;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.stub.StreamObserver;
import io.nestor.api.vfio.VfioDeviceEntry;
import io.nestor.api.vfio.VfioDevices;
import io.nestor.gateway.grpc.GatewayLimits;
import io.nestor.gateway.grpc.error.UnaryCall;
import io.nestor.gateway.grpc.proto.AttachIommufdPtRequest;
import io.nestor.gateway.grpc.proto.AttachIommufdPtResponse;
import io.nestor.gateway.grpc.proto.BindIommufdRequest;
import io.nestor.gateway.grpc.proto.BindIommufdResponse;
import io.nestor.gateway.grpc.proto.DetachIommufdPtRequest;
import io.nestor.gateway.grpc.proto.DetachIommufdPtResponse;
import io.nestor.gateway.grpc.proto.ListVfioDevicesRequest;
import io.nestor.gateway.grpc.proto.ListVfioDevicesResponse;
import io.nestor.gateway.grpc.proto.ReadConfigRequest;
import io.nestor.gateway.grpc.proto.ReadConfigResponse;
import io.nestor.gateway.grpc.proto.UnbindDeviceRequest;
import io.nestor.gateway.grpc.proto.UnbindDeviceResponse;
import io.nestor.gateway.grpc.proto.VfioDeviceGrpc;
import io.nestor.gateway.grpc.proto.WriteConfigRequest;
import io.nestor.gateway.grpc.proto.WriteConfigResponse;
import io.nestor.gateway.grpc.session.CallSession;

/**
 * {@code nestor.v1.VfioDevice}, the device cdev ioctls: each RPC calls the calling session's
 * {@link VfioDevices}. The PASID RPCs are the attach / detach ioctls with
 * {@code VFIO_DEVICE_ATTACH_PASID} / {@code _DETACH_PASID} set, whatever the request's flags say.
 */
public final class VfioDeviceGrpcService extends VfioDeviceGrpc.VfioDeviceImplBase {

    private static VfioDevices devices() {
        return CallSession.current().vfioDevices();
    }

    @Override
    public void listDevices(ListVfioDevicesRequest request, StreamObserver<ListVfioDevicesResponse> responses) {
        UnaryCall.answer(responses, () -> {
            ListVfioDevicesResponse.Builder out = ListVfioDevicesResponse.newBuilder();
            for (VfioDeviceEntry d : devices().list()) {
                out.addDevices(io.nestor.gateway.grpc.proto.VfioDeviceEntry.newBuilder().setName(d.name())
                        .setUnit(d.unit()).setGroup(d.group()).setBound(d.bound()).setBoundByCaller(d.boundByCaller())
                        .setParent(d.parent()).setDefaultPasid(d.defaultPasid()));
            }
            return out.build();
        });
    }

    @Override
    public void bindIommufd(BindIommufdRequest request, StreamObserver<BindIommufdResponse> responses) {
        UnaryCall.answer(responses, () -> BindIommufdResponse.newBuilder()
                .setOutDevid(devices().bindIommufd(request.getDevice(), request.getFlags(), request.getIommufd()))
                .build());
    }

    @Override
    public void unbind(UnbindDeviceRequest request, StreamObserver<UnbindDeviceResponse> responses) {
        UnaryCall.answer(responses, () -> {
            devices().unbind(request.getDevice());
            return UnbindDeviceResponse.getDefaultInstance();
        });
    }

    @Override
    public void attachIommufdPt(AttachIommufdPtRequest request, StreamObserver<AttachIommufdPtResponse> responses) {
        attach(request, request.getFlags(), responses);
    }

    @Override
    public void pasidAttachIommufdPt(AttachIommufdPtRequest request,
            StreamObserver<AttachIommufdPtResponse> responses) {
        attach(request, request.getFlags() | VfioDevices.FLAG_PASID, responses);
    }

    private static void attach(AttachIommufdPtRequest request, int flags,
            StreamObserver<AttachIommufdPtResponse> responses) {
        UnaryCall.answer(responses, () -> AttachIommufdPtResponse.newBuilder()
                .setPtId(devices().attachIommufdPt(request.getDevice(), flags, request.getPtId(), request.getPasid()))
                .build());
    }

    @Override
    public void detachIommufdPt(DetachIommufdPtRequest request, StreamObserver<DetachIommufdPtResponse> responses) {
        detach(request, request.getFlags(), responses);
    }

    @Override
    public void pasidDetachIommufdPt(DetachIommufdPtRequest request,
            StreamObserver<DetachIommufdPtResponse> responses) {
        detach(request, request.getFlags() | VfioDevices.FLAG_PASID, responses);
    }

    private static void detach(DetachIommufdPtRequest request, int flags,
            StreamObserver<DetachIommufdPtResponse> responses) {
        UnaryCall.answer(responses, () -> {
            devices().detachIommufdPt(request.getDevice(), flags, request.getPasid());
            return DetachIommufdPtResponse.getDefaultInstance();
        });
    }

    @Override
    public void readConfig(ReadConfigRequest request, StreamObserver<ReadConfigResponse> responses) {
        UnaryCall.answer(responses, () -> {
            int count = GatewayLimits.checkReadLength(request.getCount());
            byte[] data = devices().readConfig(request.getDevice(), request.getOffset(), count);
            return ReadConfigResponse.newBuilder().setData(UnsafeByteOperations.unsafeWrap(data)).build();
        });
    }

    @Override
    public void writeConfig(WriteConfigRequest request, StreamObserver<WriteConfigResponse> responses) {
        UnaryCall.answer(responses, () -> WriteConfigResponse.newBuilder()
                .setCount(devices().writeConfig(request.getDevice(), request.getOffset(), request.getData().toByteArray()))
                .build());
    }
}
