package io.nestor.gateway.grpc.events;

import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import io.nestor.api.dma.DeviceFault;
import io.nestor.api.event.DevicePageRequest;
import io.nestor.api.event.EventSubscription;
import io.nestor.api.event.SessionEventListener;
import io.nestor.api.platform.UnitStatus;
import io.nestor.gateway.grpc.dma.DmaMessages;
import io.nestor.gateway.grpc.platform.PlatformMessages;
import io.nestor.gateway.grpc.proto.Event;
import io.nestor.gateway.grpc.proto.PageFaultEvent;
import io.nestor.gateway.grpc.proto.UnitStateEvent;
import io.nestor.gateway.grpc.proto.VEventEvent;
import java.util.ArrayDeque;

/**
 * One {@code Events.Subscribe} stream: the session's events, numbered from 1 in the order they
 * happened, buffered up to the session's stream-buffer quota while the client is slow (gRPC flow
 * control: sent only while the call is ready), and counted as lost beyond it, which the client sees
 * as a gap in the sequence.
 *
 * <p>Listener calls come from reporting threads and must not block: they number the event, queue it
 * and send what the call accepts. Everything that touches the call is serialised on {@code this}.
 * The stream ends (completed) when the session closes, after the queued events; it ends the
 * subscription when the client cancels.
 */
final class EventStream implements SessionEventListener {
    private final ServerCallStreamObserver<Event> call;
    private final int capacity;
    private final ArrayDeque<Event> queue = new ArrayDeque<>();
    private long sequence;
    private long lost;
    private boolean ending;
    private boolean done;
    private EventSubscription subscription;

    EventStream(ServerCallStreamObserver<Event> call, int capacity) {
        this.call = call;
        this.capacity = capacity;
    }

    synchronized void attach(EventSubscription s) {
        this.subscription = s;
        if (done) {
            s.close();
        }
    }

    /** The client cancelled or the call failed: end the subscription, send nothing more. */
    void cancelled() {
        EventSubscription s;
        synchronized (this) {
            done = true;
            queue.clear();
            s = subscription;
        }
        if (s != null) {
            s.close();
        }
    }

    synchronized long lost() {
        return lost;
    }

    @Override
    public void deviceFault(DeviceFault fault) {
        offer(Event.newBuilder().setDeviceFault(DmaMessages.faultEvent(fault)));
    }

    @Override
    public void pageRequest(DevicePageRequest request) {
        offer(Event.newBuilder().setPageFault(PageFaultEvent.newBuilder()
                .setPgfault(ByteString.copyFrom(PgfaultRecord.encode(request)))));
    }

    @Override
    public void pageFault(int iommufd, int faultId, byte[] pgfault) {
        offer(Event.newBuilder().setPageFault(PageFaultEvent.newBuilder().setIommufd(iommufd).setFaultId(faultId)
                .setPgfault(ByteString.copyFrom(pgfault))));
    }

    @Override
    public void vevent(int iommufd, int veventqId, byte[] vevent) {
        offer(Event.newBuilder().setVevent(VEventEvent.newBuilder().setIommufd(iommufd).setVeventqId(veventqId)
                .setVevent(ByteString.copyFrom(vevent))));
    }

    @Override
    public void unitChanged(UnitStatus unit) {
        offer(Event.newBuilder().setUnitState(UnitStateEvent.newBuilder().setUnit(PlatformMessages.unit(unit))));
    }

    @Override
    public void sessionClosed() {
        synchronized (this) {
            ending = true;
        }
        drain();
    }

    private void offer(Event.Builder event) {
        synchronized (this) {
            if (done || ending) {
                return;
            }
            long seq = ++sequence;
            if (queue.size() >= capacity) {
                lost++;
                return;
            }
            queue.add(event.setSequence(seq).build());
        }
        drain();
    }

    /** Sends what the call accepts now; completes the call when the session has ended. */
    synchronized void drain() {
        if (done) {
            return;
        }
        while (!queue.isEmpty() && call.isReady()) {
            call.onNext(queue.poll());
        }
        if (ending && queue.isEmpty()) {
            done = true;
            call.onCompleted();
        }
    }
}
