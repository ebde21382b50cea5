package io.nestor.gateway.grpc.iommufd;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.stub.StreamObserver;
import io.nestor.api.iommufd.DirtyBitmapQuery;
import io.nestor.api.iommufd.HwInfoData;
import io.nestor.api.iommufd.HwInfoQuery;
import io.nestor.api.iommufd.HwptAlloc;
import io.nestor.api.iommufd.HwptInvalidate;
import io.nestor.api.iommufd.IoasCopy;
import io.nestor.api.iommufd.IoasMap;
import io.nestor.api.iommufd.IoasMapFile;
import io.nestor.api.iommufd.IommuOption;
import io.nestor.api.iommufd.Iommufd;
import io.nestor.api.iommufd.IovaRanges;
import io.nestor.api.iommufd.ViommuAlloc;
import io.nestor.gateway.grpc.GatewayLimits;
import io.nestor.gateway.grpc.error.UnaryCall;
import io.nestor.gateway.grpc.proto.DestroyRequest;
import io.nestor.gateway.grpc.proto.DestroyResponse;
import io.nestor.gateway.grpc.proto.FaultQueueAllocRequest;
import io.nestor.gateway.grpc.proto.FaultQueueAllocResponse;
import io.nestor.gateway.grpc.proto.FaultRespondRequest;
import io.nestor.gateway.grpc.proto.FaultRespondResponse;
import io.nestor.gateway.grpc.proto.GetHwInfoRequest;
import io.nestor.gateway.grpc.proto.GetHwInfoResponse;
import io.nestor.gateway.grpc.proto.HwptAllocRequest;
import io.nestor.gateway.grpc.proto.HwptAllocResponse;
import io.nestor.gateway.grpc.proto.HwptGetDirtyBitmapRequest;
import io.nestor.gateway.grpc.proto.HwptGetDirtyBitmapResponse;
import io.nestor.gateway.grpc.proto.HwptInvalidateRequest;
import io.nestor.gateway.grpc.proto.HwptInvalidateResponse;
import io.nestor.gateway.grpc.proto.HwptSetDirtyTrackingRequest;
import io.nestor.gateway.grpc.proto.HwptSetDirtyTrackingResponse;
import io.nestor.gateway.grpc.proto.IoasAllocRequest;
import io.nestor.gateway.grpc.proto.IoasAllocResponse;
import io.nestor.gateway.grpc.proto.IoasAllowIovasRequest;
import io.nestor.gateway.grpc.proto.IoasAllowIovasResponse;
import io.nestor.gateway.grpc.proto.IoasCopyRequest;
import io.nestor.gateway.grpc.proto.IoasCopyResponse;
import io.nestor.gateway.grpc.proto.IoasIovaRangesRequest;
import io.nestor.gateway.grpc.proto.IoasIovaRangesResponse;
import io.nestor.gateway.grpc.proto.IoasMapFileRequest;
import io.nestor.gateway.grpc.proto.IoasMapRequest;
import io.nestor.gateway.grpc.proto.IoasMapResponse;
import io.nestor.gateway.grpc.proto.IoasUnmapRequest;
import io.nestor.gateway.grpc.proto.IoasUnmapResponse;
import io.nestor.gateway.grpc.proto.IommufdCloseRequest;
import io.nestor.gateway.grpc.proto.IommufdCloseResponse;
import io.nestor.gateway.grpc.proto.IommufdGrpc;
import io.nestor.gateway.grpc.proto.IommufdOpenRequest;
import io.nestor.gateway.grpc.proto.IommufdOpenResponse;
import io.nestor.gateway.grpc.proto.IovaRange;
import io.nestor.gateway.grpc.proto.OptionRequest;
import io.nestor.gateway.grpc.proto.OptionResponse;
import io.nestor.gateway.grpc.proto.PageResponse;
import io.nestor.gateway.grpc.proto.VdeviceAllocRequest;
import io.nestor.gateway.grpc.proto.VdeviceAllocResponse;
import io.nestor.gateway.grpc.proto.VeventqAllocRequest;
import io.nestor.gateway.grpc.proto.VeventqAllocResponse;
import io.nestor.gateway.grpc.proto.VfioIoasRequest;
import io.nestor.gateway.grpc.proto.VfioIoasResponse;
import io.nestor.gateway.grpc.proto.ViommuAllocRequest;
import io.nestor.gateway.grpc.proto.ViommuAllocResponse;
import io.nestor.gateway.grpc.session.CallSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code nestor.v1.Iommufd}, the context and IOAS ioctls: each RPC unpacks its message into the
 * kernel-shaped record of {@code io.nestor.api.iommufd} and calls the calling session's
 * {@link Iommufd}. Vendor payloads pass through as the kernel's little-endian structs; the out
 * values an ioctl writes back on failure ({@code entry_num} of HWPT_INVALIDATE) travel in the
 * error's ErrorInfo metadata. FaultQueueAlloc, FaultRespond and VeventqAlloc are served; the
 * queues' records arrive on {@code Events.Subscribe}. VfioIoas gets, sets or clears the context's
 * VFIO compat IOAS (GET without one is ENODEV, SET of a non-IOAS id ENOENT, an unknown op
 * EOPNOTSUPP).
 */
public final class IommufdGrpcService extends IommufdGrpc.IommufdImplBase {

    private static Iommufd iommufd() {
        return CallSession.current().iommufd();
    }

    @Override
    public void open(IommufdOpenRequest request, StreamObserver<IommufdOpenResponse> responses) {
        UnaryCall.answer(responses, () -> IommufdOpenResponse.newBuilder().setIommufd(iommufd().open()).build());
    }

    @Override
    public void close(IommufdCloseRequest request, StreamObserver<IommufdCloseResponse> responses) {
        UnaryCall.answer(responses, () -> {
            iommufd().close(request.getIommufd());
            return IommufdCloseResponse.getDefaultInstance();
        });
    }

    @Override
    public void destroy(DestroyRequest request, StreamObserver<DestroyResponse> responses) {
        UnaryCall.answer(responses, () -> {
            iommufd().destroy(request.getIommufd(), request.getId());
            return DestroyResponse.getDefaultInstance();
        });
    }

    @Override
    public void faultQueueAlloc(FaultQueueAllocRequest request, StreamObserver<FaultQueueAllocResponse> responses) {
        UnaryCall.answer(responses, () -> FaultQueueAllocResponse.newBuilder()
                .setOutFaultId(iommufd().faultQueueAlloc(request.getIommufd(), request.getFlags())).build());
    }

    /** write() of the responses as {@code struct iommu_hwpt_page_response} records, little-endian. */
    @Override
    public void faultRespond(FaultRespondRequest request, StreamObserver<FaultRespondResponse> responses) {
        UnaryCall.answer(responses, () -> {
            ByteBuffer records = ByteBuffer.allocate(request.getResponsesCount() * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (PageResponse r : request.getResponsesList()) {
                records.putInt(r.getCookie()).putInt(r.getCode());
            }
            int bytes = iommufd().faultRespond(request.getIommufd(), request.getFaultId(), records.array());
            return FaultRespondResponse.newBuilder().setCount(bytes / 8).build();
        });
    }

    @Override
    public void veventqAlloc(VeventqAllocRequest request, StreamObserver<VeventqAllocResponse> responses) {
        UnaryCall.answer(responses, () -> VeventqAllocResponse.newBuilder()
                .setOutVeventqId(iommufd().veventqAlloc(request.getIommufd(), request.getFlags(),
                        request.getViommuId(), request.getType(), request.getVeventqDepth()))
                .build());
    }

    @Override
    public void ioasAlloc(IoasAllocRequest request, StreamObserver<IoasAllocResponse> responses) {
        UnaryCall.answer(responses, () -> IoasAllocResponse.newBuilder()
                .setOutIoasId(iommufd().ioasAlloc(request.getIommufd(), request.getFlags())).build());
    }

    @Override
    public void ioasIovaRanges(IoasIovaRangesRequest request, StreamObserver<IoasIovaRangesResponse> responses) {
        UnaryCall.answer(responses, () -> {
            IovaRanges r = iommufd().ioasIovaRanges(request.getIommufd(), request.getIoasId(), request.getNumIovas());
            IoasIovaRangesResponse.Builder out = IoasIovaRangesResponse.newBuilder()
                    .setNumIovas(r.numIovas())
                    .setOutIovaAlignment(r.outIovaAlignment());
            r.allowedIovas().forEach(i -> out.addAllowedIovas(IovaRange.newBuilder().setStart(i.start()).setLast(i.last())));
            return out.build();
        });
    }

    @Override
    public void ioasAllowIovas(IoasAllowIovasRequest request, StreamObserver<IoasAllowIovasResponse> responses) {
        UnaryCall.answer(responses, () -> {
            List<io.nestor.api.iommufd.IovaRange> ranges = new ArrayList<>(request.getAllowedIovasCount());
            for (IovaRange r : request.getAllowedIovasList()) {
                ranges.add(new io.nestor.api.iommufd.IovaRange(r.getStart(), r.getLast()));
            }
            iommufd().ioasAllowIovas(request.getIommufd(), request.getIoasId(), ranges);
            return IoasAllowIovasResponse.getDefaultInstance();
        });
    }

    @Override
    public void ioasMap(IoasMapRequest request, StreamObserver<IoasMapResponse> responses) {
        UnaryCall.answer(responses, () -> IoasMapResponse.newBuilder()
                .setIova(iommufd().ioasMap(request.getIommufd(), new IoasMap(request.getFlags(), request.getIoasId(),
                        request.getUserVa(), request.getLength(), request.getIova())))
                .build());
    }

    @Override
    public void ioasMapFile(IoasMapFileRequest request, StreamObserver<IoasMapResponse> responses) {
        UnaryCall.answer(responses, () -> IoasMapResponse.newBuilder()
                .setIova(iommufd().ioasMapFile(request.getIommufd(), new IoasMapFile(request.getFlags(),
                        request.getIoasId(), request.getRegionId(), request.getStart(), request.getLength(),
                        request.getIova())))
                .build());
    }

    @Override
    public void ioasCopy(IoasCopyRequest request, StreamObserver<IoasCopyResponse> responses) {
        UnaryCall.answer(responses, () -> IoasCopyResponse.newBuilder()
                .setDstIova(iommufd().ioasCopy(request.getIommufd(), new IoasCopy(request.getFlags(),
                        request.getDstIoasId(), request.getSrcIoasId(), request.getLength(), request.getDstIova(),
                        request.getSrcIova())))
                .build());
    }

    @Override
    public void ioasUnmap(IoasUnmapRequest request, StreamObserver<IoasUnmapResponse> responses) {
        UnaryCall.answer(responses, () -> IoasUnmapResponse.newBuilder()
                .setLength(iommufd().ioasUnmap(request.getIommufd(), request.getIoasId(), request.getIova(),
                        request.getLength()))
                .build());
    }

    @Override
    public void option(OptionRequest request, StreamObserver<OptionResponse> responses) {
        UnaryCall.answer(responses, () -> OptionResponse.newBuilder()
                .setVal64(iommufd().option(request.getIommufd(), new IommuOption(request.getOptionId(), request.getOp(),
                        request.getObjectId(), request.getVal64())))
                .build());
    }

    @Override
    public void vfioIoas(VfioIoasRequest request, StreamObserver<VfioIoasResponse> responses) {
        UnaryCall.answer(responses, () -> VfioIoasResponse.newBuilder()
                .setIoasId(iommufd().vfioIoas(request.getIommufd(), request.getOp(), request.getIoasId()))
                .build());
    }

    // ---- devices and HWPTs ----

    @Override
    public void hwptAlloc(HwptAllocRequest request, StreamObserver<HwptAllocResponse> responses) {
        UnaryCall.answer(responses, () -> HwptAllocResponse.newBuilder()
                .setOutHwptId(iommufd().hwptAlloc(request.getIommufd(), new HwptAlloc(request.getFlags(),
                        request.getDevId(), request.getPtId(), request.getDataType(), request.getData().toByteArray(),
                        request.getFaultId())))
                .build());
    }

    @Override
    public void getHwInfo(GetHwInfoRequest request, StreamObserver<GetHwInfoResponse> responses) {
        UnaryCall.answer(responses, () -> {
            HwInfoData r = iommufd().getHwInfo(request.getIommufd(), new HwInfoQuery(request.getFlags(),
                    request.getDevId(), GatewayLimits.checkReadLength(request.getDataLen()), request.getInDataType()));
            return GetHwInfoResponse.newBuilder()
                    .setDataLen(r.dataLen())
                    .setData(UnsafeByteOperations.unsafeWrap(r.data()))
                    .setOutDataType(r.outDataType())
                    .setOutMaxPasidLog2(r.outMaxPasidLog2())
                    .setOutCapabilities(r.outCapabilities())
                    .build();
        });
    }

    @Override
    public void hwptSetDirtyTracking(HwptSetDirtyTrackingRequest request,
            StreamObserver<HwptSetDirtyTrackingResponse> responses) {
        UnaryCall.answer(responses, () -> {
            iommufd().hwptSetDirtyTracking(request.getIommufd(), request.getHwptId(), request.getFlags());
            return HwptSetDirtyTrackingResponse.getDefaultInstance();
        });
    }

    @Override
    public void hwptGetDirtyBitmap(HwptGetDirtyBitmapRequest request,
            StreamObserver<HwptGetDirtyBitmapResponse> responses) {
        UnaryCall.answer(responses, () -> {
            GatewayLimits.checkBitmapReply(request.getLength(), request.getPageSize());
            long[] words = iommufd().hwptGetDirtyBitmap(request.getIommufd(), new DirtyBitmapQuery(
                    request.getHwptId(), request.getFlags(), request.getIova(), request.getLength(),
                    request.getPageSize()));
            ByteBuffer data = ByteBuffer.allocate(words.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            data.asLongBuffer().put(words);
            return HwptGetDirtyBitmapResponse.newBuilder().setData(UnsafeByteOperations.unsafeWrap(data.array()))
                    .build();
        });
    }

    @Override
    public void hwptInvalidate(HwptInvalidateRequest request, StreamObserver<HwptInvalidateResponse> responses) {
        UnaryCall.answer(responses, () -> HwptInvalidateResponse.newBuilder()
                .setEntryNum(iommufd().hwptInvalidate(request.getIommufd(), new HwptInvalidate(request.getHwptId(),
                        request.getDataType(), request.getEntryLen(), request.getEntryNum(),
                        request.getData().toByteArray())))
                .build());
    }

    @Override
    public void viommuAlloc(ViommuAllocRequest request, StreamObserver<ViommuAllocResponse> responses) {
        UnaryCall.answer(responses, () -> ViommuAllocResponse.newBuilder()
                .setOutViommuId(iommufd().viommuAlloc(request.getIommufd(), new ViommuAlloc(request.getFlags(),
                        request.getType(), request.getDevId(), request.getHwptId(), request.getData().toByteArray())))
                .build());
    }

    @Override
    public void vdeviceAlloc(VdeviceAllocRequest request, StreamObserver<VdeviceAllocResponse> responses) {
        UnaryCall.answer(responses, () -> VdeviceAllocResponse.newBuilder()
                .setOutVdeviceId(iommufd().vdeviceAlloc(request.getIommufd(), request.getViommuId(),
                        request.getDevId(), request.getVirtId()))
                .build());
    }
}
