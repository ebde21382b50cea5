package io.nestor.gateway.grpc.events;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.stub.ServerCallStreamObserver;
import io.nestor.gateway.grpc.proto.Event;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The stream's side of fault queues and VEVENTQs: each {@code struct iommu_hwpt_pgfault} record a
 * session's queue reader hands over becomes a PageFaultEvent carrying its context handle, the FAULT
 * object's id and the record's bytes unchanged; each vEVENT a VEventEvent with header and data.
 */
class EventStreamTest {

    /** A call that is always ready and keeps what it was sent. */
    private static final class RecordingCall extends ServerCallStreamObserver<Event> {
        final List<Event> sent = new ArrayList<>();

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setOnReadyHandler(Runnable onReadyHandler) {
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public void setOnCancelHandler(Runnable onCancelHandler) {
        }

        @Override
        public void setCompression(String compression) {
        }

        @Override
        public void disableAutoInboundFlowControl() {
        }

        @Override
        public void request(int count) {
        }

        @Override
        public void setMessageCompression(boolean enable) {
        }

        @Override
        public void onNext(Event value) {
            sent.add(value);
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }

    @Test
    void queueRecordsBecomeEventsWithTheirQueueAndBytes() {
        RecordingCall call = new RecordingCall();
        EventStream stream = new EventStream(call, 16);
        byte[] pgfault = new byte[40];
        pgfault[4] = 3;   // dev_id 3
        pgfault[36] = 1;  // cookie 1
        byte[] lost = {1, 0, 0, 0, 9, 0, 0, 0};
        stream.pageFault(2, 5, pgfault);
        stream.vevent(2, 6, lost);
        assertEquals(2, call.sent.size());
        Event first = call.sent.get(0);
        assertEquals(Event.KindCase.PAGE_FAULT, first.getKindCase());
        assertEquals(1, first.getSequence());
        assertEquals(2, first.getPageFault().getIommufd());
        assertEquals(5, first.getPageFault().getFaultId());
        assertArrayEquals(pgfault, first.getPageFault().getPgfault().toByteArray());
        Event second = call.sent.get(1);
        assertEquals(Event.KindCase.VEVENT, second.getKindCase());
        assertEquals(2, second.getSequence());
        assertEquals(6, second.getVevent().getVeventqId());
        assertArrayEquals(lost, second.getVevent().getVevent().toByteArray());
    }
}
