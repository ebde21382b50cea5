package io.nestor.gateway.grpc.dma;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import io.nestor.api.dma.DmaRequest;
import io.nestor.api.dma.DmaResult;
import io.nestor.api.session.Session;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.gateway.grpc.GatewayLimits;
import io.nestor.gateway.grpc.error.UnaryCall;
import io.nestor.gateway.grpc.proto.DmaGrpc;
import io.nestor.gateway.grpc.proto.DmaPageRequest;
import io.nestor.gateway.grpc.proto.DmaPageResponse;
import io.nestor.gateway.grpc.proto.DmaReadRequest;
import io.nestor.gateway.grpc.proto.DmaReadResponse;
import io.nestor.gateway.grpc.proto.DmaSource;
import io.nestor.gateway.grpc.proto.DmaWriteRequest;
import io.nestor.gateway.grpc.proto.DmaWriteResponse;
import io.nestor.gateway.grpc.proto.TranslateRequest;
import io.nestor.gateway.grpc.proto.TranslateResponse;
import io.nestor.gateway.grpc.session.CallSession;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code nestor.v1.Dma}: the calling session's device DMA. A fault is a result of Translate, and an
 * error (EFAULT with the fault's addresses in the ErrorInfo) of Read and Write, as the device's DMA
 * stops there.
 */
public final class DmaGrpcService extends DmaGrpc.DmaImplBase {
    /** How long PageRequest waits for the response when the call has no deadline. */
    static final long DEFAULT_PAGE_REQUEST_TIMEOUT_MILLIS = 10_000;

    static TranslateResponse translate(Session session, TranslateRequest request) {
        if (CompactTranslate.isCompact(request)) {
            return CompactTranslate.translate(session.dma(), request, s -> DmaMessages.device(session, s));
        }
        List<DmaRequest> batch = new ArrayList<>(request.getRequestsCount());
        DmaSource previous = null;
        String device = null;
        for (io.nestor.gateway.grpc.proto.DmaRequest r : request.getRequestsList()) {
            DmaSource source = r.getSource();
            if (previous == null || !sameDevice(previous, source)) { // a batch mostly comes from one device
                device = DmaMessages.device(session, source);
                previous = source;
            }
            batch.add(new DmaRequest(device, DmaMessages.pasid(source), r.getIova(), r.getPerm()));
        }
        TranslateResponse.Builder out = TranslateResponse.newBuilder();
        for (DmaResult result : session.dma().translate(batch)) {
            out.addResults(DmaMessages.result(result));
        }
        return out.build();
    }

    private static boolean sameDevice(DmaSource a, DmaSource b) {
        return a.getDevId() == b.getDevId() && a.getIommufd() == b.getIommufd() && a.getDevice().equals(b.getDevice());
    }

    @Override
    public void translate(TranslateRequest request, StreamObserver<TranslateResponse> responses) {
        UnaryCall.answer(responses, () -> translate(CallSession.current(), request));
    }

    @Override
    public void read(DmaReadRequest request, StreamObserver<DmaReadResponse> responses) {
        UnaryCall.answer(responses, () -> {
            int length = GatewayLimits.checkReadLength(request.getLength());
            Session session = CallSession.current();
            DmaSource source = request.getSource();
            byte[] data = session.dma().read(DmaMessages.device(session, source), DmaMessages.pasid(source),
                    request.getIova(), length);
            return DmaReadResponse.newBuilder().setData(UnsafeByteOperations.unsafeWrap(data)).build();
        });
    }

    @Override
    public void write(DmaWriteRequest request, StreamObserver<DmaWriteResponse> responses) {
        UnaryCall.answer(responses, () -> {
            Session session = CallSession.current();
            DmaSource source = request.getSource();
            session.dma().write(DmaMessages.device(session, source), DmaMessages.pasid(source), request.getIova(),
                    request.getData().toByteArray());
            return DmaWriteResponse.getDefaultInstance();
        });
    }

    @Override
    public void pageRequest(DmaPageRequest request, StreamObserver<DmaPageResponse> responses) {
        UnaryCall.answer(responses, () -> {
            Deadline deadline = Context.current().getDeadline();
            long timeout = deadline == null ? DEFAULT_PAGE_REQUEST_TIMEOUT_MILLIS
                    : Math.max(1, deadline.timeRemaining(TimeUnit.MILLISECONDS));
            Session session = CallSession.current();
            DmaSource source = request.getSource();
            PageResponseCode code = session.dma().pageRequest(DmaMessages.device(session, source),
                    DmaMessages.pasid(source), request.getAddr(), request.getPerm(), request.getGrpid(),
                    request.getLastPage(), timeout);
            return DmaPageResponse.newBuilder().setCode(code.pciCode()).build();
        });
    }

    /**
     * Batches in, results out, in order. A bad batch ends the stream with its error (the batches
     * before it were answered); the client ending its side ends the stream.
     */
    @Override
    public StreamObserver<TranslateRequest> translateStream(StreamObserver<TranslateResponse> responses) {
        Session session = CallSession.current();
        return new StreamObserver<>() {
            private boolean failed;

            @Override
            public void onNext(TranslateRequest request) {
                if (failed) {
                    return;
                }
                TranslateResponse response;
                try {
                    response = translate(session, request);
                } catch (RuntimeException e) {
                    failed = true;
                    responses.onError(UnaryCall.failure(e));
                    return;
                }
                responses.onNext(response);
            }

            @Override
            public void onError(Throwable t) {
                failed = true;
            }

            @Override
            public void onCompleted() {
                if (!failed) {
                    responses.onCompleted();
                }
            }
        };
    }
}
