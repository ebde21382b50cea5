package io.nestor.gateway.grpc.session;

import io.grpc.stub.StreamObserver;
import io.nestor.api.session.Session;
import io.nestor.api.session.SessionQuotas;
import io.nestor.gateway.grpc.error.UnaryCall;
import io.nestor.gateway.grpc.proto.CloseSessionRequest;
import io.nestor.gateway.grpc.proto.CloseSessionResponse;
import io.nestor.gateway.grpc.proto.KeepAliveRequest;
import io.nestor.gateway.grpc.proto.KeepAliveResponse;
import io.nestor.gateway.grpc.proto.OpenSessionRequest;
import io.nestor.gateway.grpc.proto.OpenSessionResponse;
import io.nestor.gateway.grpc.proto.SessionsGrpc;

/**
 * {@code nestor.v1.Sessions}: Open (the only call without a session), Close and KeepAlive of the
 * calling session. Holds no state: sessions live in the core's {@code SessionService}.
 */
public final class SessionsGrpcService extends SessionsGrpc.SessionsImplBase {
    private final SessionBinding sessions;

    public SessionsGrpcService(SessionBinding sessions) {
        this.sessions = sessions;
    }

    @Override
    public void open(OpenSessionRequest request, StreamObserver<OpenSessionResponse> responses) {
        UnaryCall.answer(responses, () -> {
            Session s = sessions.require().open(request.getClientName(), request.getLeaseMillis());
            SessionQuotas q = s.quotas();
            return OpenSessionResponse.newBuilder()
                    .setSessionId(s.id())
                    .setLeaseMillis(s.leaseMillis())
                    .setQuotas(io.nestor.gateway.grpc.proto.SessionQuotas.newBuilder()
                            .setMemoryBytes(q.memoryBytes())
                            .setObjects(q.objects())
                            .setStreamBuffer(q.streamBuffer())
                            .setPasids(q.pasids()))
                    .build();
        });
    }

    @Override
    public void close(CloseSessionRequest request, StreamObserver<CloseSessionResponse> responses) {
        UnaryCall.answer(responses, () -> {
            CallSession.current().close();
            return CloseSessionResponse.getDefaultInstance();
        });
    }

    @Override
    public void keepAlive(KeepAliveRequest request, StreamObserver<KeepAliveResponse> responses) {
        UnaryCall.answer(responses,
                () -> KeepAliveResponse.newBuilder().setLeaseMillis(CallSession.current().keepAlive()).build());
    }
}
