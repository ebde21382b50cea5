package io.nestor.gateway.grpc.events;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.nestor.api.error.IommuException;
import io.nestor.api.event.EventSubscription;
import io.nestor.api.session.Session;
import io.nestor.gateway.grpc.error.ErrnoStatus;
import io.nestor.gateway.grpc.proto.Event;
import io.nestor.gateway.grpc.proto.EventsGrpc;
import io.nestor.gateway.grpc.proto.SubscribeRequest;
import io.nestor.gateway.grpc.session.CallSession;

/**
 * {@code nestor.v1.Events}: Subscribe streams the calling session's events ({@link EventStream});
 * while the stream is open the session's lease does not run out.
 */
public final class EventsGrpcService extends EventsGrpc.EventsImplBase {

    @Override
    public void subscribe(SubscribeRequest request, StreamObserver<Event> responses) {
        Session session = CallSession.current();
        ServerCallStreamObserver<Event> call = (ServerCallStreamObserver<Event>) responses;
        EventStream stream = new EventStream(call, session.quotas().streamBuffer());
        call.setOnCancelHandler(stream::cancelled);
        call.setOnReadyHandler(stream::drain);
        EventSubscription subscription;
        try {
            subscription = session.events().subscribe(stream);
        } catch (IommuException e) {
            responses.onError(ErrnoStatus.toStatusException(e));
            return;
        }
        stream.attach(subscription);
    }
}
