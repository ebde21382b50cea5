package io.nestor.gateway.grpc;

import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import io.nestor.gateway.grpc.proto.Event;
import io.nestor.gateway.grpc.proto.EventsGrpc;
import io.nestor.gateway.grpc.proto.SubscribeRequest;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;

/** Collects one Events.Subscribe stream for a test: its events in order, and whether it ended. */
public final class EventCollector implements StreamObserver<Event> {
    public final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    public final CountDownLatch ended = new CountDownLatch(1);

    /** Subscribes to the events of the session {@code channel} speaks for. */
    public static EventCollector subscribe(Channel channel) {
        EventCollector c = new EventCollector();
        EventsGrpc.newStub(channel).subscribe(SubscribeRequest.getDefaultInstance(), c);
        return c;
    }

    @Override
    public void onNext(Event value) {
        events.add(value);
    }

    @Override
    public void onError(Throwable t) {
        ended.countDown();
    }

    @Override
    public void onCompleted() {
        ended.countDown();
    }
}
