package io.nestor.gateway.grpc.vfio;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.stub.StreamObserver;
import io.nestor.api.vfio.VfioContainers;
import io.nestor.api.vfio.VfioDirtyPages;
import io.nestor.api.vfio.VfioDmaMap;
import io.nestor.api.vfio.VfioDmaUnmap;
import io.nestor.api.vfio.VfioDmaUnmapResult;
import io.nestor.api.vfio.VfioIommuInfo;
import io.nestor.api.vfio.VfioNestingOp;
import io.nestor.api.vfio.VfioPasidRequest;
import io.nestor.gateway.grpc.GatewayLimits;
import io.nestor.gateway.grpc.error.UnaryCall;
import io.nestor.gateway.grpc.proto.CheckExtensionRequest;
import io.nestor.gateway.grpc.proto.CheckExtensionResponse;
import io.nestor.gateway.grpc.proto.ContainerCloseRequest;
import io.nestor.gateway.grpc.proto.ContainerCloseResponse;
import io.nestor.gateway.grpc.proto.ContainerOpenRequest;
import io.nestor.gateway.grpc.proto.ContainerOpenResponse;
import io.nestor.gateway.grpc.proto.DirtyPagesRequest;
import io.nestor.gateway.grpc.proto.DirtyPagesResponse;
import io.nestor.gateway.grpc.proto.GetApiVersionRequest;
import io.nestor.gateway.grpc.proto.GetApiVersionResponse;
import io.nestor.gateway.grpc.proto.GetInfoRequest;
import io.nestor.gateway.grpc.proto.GetInfoResponse;
import io.nestor.gateway.grpc.proto.GroupSetContainerRequest;
import io.nestor.gateway.grpc.proto.GroupSetContainerResponse;
import io.nestor.gateway.grpc.proto.MapDmaRequest;
import io.nestor.gateway.grpc.proto.MapDmaResponse;
import io.nestor.gateway.grpc.proto.NestingOpRequest;
import io.nestor.gateway.grpc.proto.NestingOpResponse;
import io.nestor.gateway.grpc.proto.PasidRequestRequest;
import io.nestor.gateway.grpc.proto.PasidRequestResponse;
import io.nestor.gateway.grpc.proto.SetIommuRequest;
import io.nestor.gateway.grpc.proto.SetIommuResponse;
import io.nestor.gateway.grpc.proto.UnmapDmaRequest;
import io.nestor.gateway.grpc.proto.UnmapDmaResponse;
import io.nestor.gateway.grpc.proto.VfioContainerGrpc;
import io.nestor.gateway.grpc.session.CallSession;

/**
 * {@code nestor.v1.VfioContainer}, the type1 container ioctls with the vSVA nesting ops: each RPC
 * unpacks its message into the kernel-shaped record of {@code io.nestor.api.vfio} and calls the
 * calling session's {@link VfioContainers}. A container handle is the session's own: another
 * session's answers NOT_FOUND (EBADF), as a descriptor number of another process would.
 *
 * <p>A {@code bitmap} message absent from UnmapDma / DirtyPages stands for an {@code argsz} that stops
 * before the {@code struct vfio_bitmap}: the kernel's EINVAL then comes from the core.
 */
public final class VfioContainerGrpcService extends VfioContainerGrpc.VfioContainerImplBase {

    private static VfioContainers vfio() {
        return CallSession.current().vfio();
    }

    @Override
    public void open(ContainerOpenRequest request, StreamObserver<ContainerOpenResponse> responses) {
        UnaryCall.answer(responses, () -> ContainerOpenResponse.newBuilder().setContainer(vfio().open()).build());
    }

    @Override
    public void close(ContainerCloseRequest request, StreamObserver<ContainerCloseResponse> responses) {
        UnaryCall.answer(responses, () -> {
            vfio().close(request.getContainer());
            return ContainerCloseResponse.getDefaultInstance();
        });
    }

    @Override
    public void getApiVersion(GetApiVersionRequest request, StreamObserver<GetApiVersionResponse> responses) {
        UnaryCall.answer(responses, () -> GetApiVersionResponse.newBuilder()
                .setApiVersion(vfio().apiVersion(request.getContainer())).build());
    }

    @Override
    public void checkExtension(CheckExtensionRequest request, StreamObserver<CheckExtensionResponse> responses) {
        UnaryCall.answer(responses, () -> CheckExtensionResponse.newBuilder()
                .setResult(vfio().checkExtension(request.getContainer(), request.getExtension())).build());
    }

    @Override
    public void groupSetContainer(GroupSetContainerRequest request,
            StreamObserver<GroupSetContainerResponse> responses) {
        UnaryCall.answer(responses, () -> {
            if (request.getUnset()) {
                vfio().unsetContainer(request.getContainer(), request.getGroup());
            } else {
                vfio().setContainer(request.getContainer(), request.getGroup());
            }
            return GroupSetContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void setIommu(SetIommuRequest request, StreamObserver<SetIommuResponse> responses) {
        UnaryCall.answer(responses, () -> {
            vfio().setIommu(request.getContainer(), request.getType());
            return SetIommuResponse.getDefaultInstance();
        });
    }

    @Override
    public void getInfo(GetInfoRequest request, StreamObserver<GetInfoResponse> responses) {
        UnaryCall.answer(responses, () -> {
            VfioIommuInfo info = vfio().getInfo(request.getContainer(), Integer.toUnsignedLong(request.getArgsz()));
            return GetInfoResponse.newBuilder()
                    .setArgsz((int) info.argsz())
                    .setFlags(info.flags())
                    .setIovaPgsizes(info.iovaPgsizes())
                    .setCapOffset(info.capOffset())
                    .setInfo(UnsafeByteOperations.unsafeWrap(info.info()))
                    .build();
        });
    }

    @Override
    public void mapDma(MapDmaRequest request, StreamObserver<MapDmaResponse> responses) {
        UnaryCall.answer(responses, () -> {
            vfio().mapDma(request.getContainer(), new VfioDmaMap(request.getFlags(), request.getVaddr(),
                    request.getIova(), request.getSize()));
            return MapDmaResponse.getDefaultInstance();
        });
    }

    @Override
    public void unmapDma(UnmapDmaRequest request, StreamObserver<UnmapDmaResponse> responses) {
        UnaryCall.answer(responses, () -> {
            VfioDmaUnmapResult r = vfio().unmapDma(request.getContainer(), new VfioDmaUnmap(request.getFlags(),
                    request.getIova(), request.getSize(),
                    request.hasBitmap() ? bitmap(request.getBitmap()) : null));
            return UnmapDmaResponse.newBuilder()
                    .setSize(r.size())
                    .setData(UnsafeByteOperations.unsafeWrap(r.bitmap()))
                    .build();
        });
    }

    @Override
    public void dirtyPages(DirtyPagesRequest request, StreamObserver<DirtyPagesResponse> responses) {
        UnaryCall.answer(responses, () -> {
            byte[] bitmap = vfio().dirtyPages(request.getContainer(), new VfioDirtyPages(request.getFlags(),
                    request.getIova(), request.getSize(),
                    request.hasBitmap() ? bitmap(request.getBitmap()) : null));
            return DirtyPagesResponse.newBuilder().setData(UnsafeByteOperations.unsafeWrap(bitmap)).build();
        });
    }

    private static io.nestor.api.vfio.VfioBitmap bitmap(io.nestor.gateway.grpc.proto.VfioBitmap b) {
        return new io.nestor.api.vfio.VfioBitmap(b.getPgsize(), GatewayLimits.checkBitmapBuffer(b.getSize()));
    }

    @Override
    public void nestingOp(NestingOpRequest request, StreamObserver<NestingOpResponse> responses) {
        UnaryCall.answer(responses, () -> {
            vfio().nestingOp(request.getContainer(), new VfioNestingOp(request.getFlags(),
                    request.getData().toByteArray(), request.getDevice()));
            return NestingOpResponse.getDefaultInstance();
        });
    }

    @Override
    public void pasidRequest(PasidRequestRequest request, StreamObserver<PasidRequestResponse> responses) {
        UnaryCall.answer(responses, () -> PasidRequestResponse.newBuilder()
                .setPasid(vfio().pasidRequest(request.getContainer(), new VfioPasidRequest(request.getFlags(),
                        request.getMin(), request.getMax())))
                .build());
    }
}
