package io.nestor.gateway.grpc.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.proto.DeviceFaultEvent;
import io.nestor.gateway.grpc.proto.DmaGrpc;
import io.nestor.gateway.grpc.proto.Event;
import io.nestor.gateway.grpc.proto.EventsGrpc;
import io.nestor.gateway.grpc.proto.SubscribeRequest;
import io.nestor.gateway.grpc.proto.TranslateRequest;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nestor.v1.Events: faults of the session's DMA on the stream, and the stream holding the lease. */
class EventsGrpcTest {
    @TempDir
    Path regionDir;

    private CoreGateway core;

    @AfterEach
    void stop() throws Exception {
        core.close();
    }

    /** Collects a stream's events and its end. */
    static final class Collector implements StreamObserver<Event> {
        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        final CountDownLatch ended = new CountDownLatch(1);

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

    @Test
    void aFaultOfTheSessionsDmaArrivesOnItsStreamAndNotOnAnothers() throws Exception {
        core = new CoreGateway(regionDir);
        String a = core.open("a", 0);
        String b = core.open("b", 0);
        Collector mine = new Collector();
        Collector theirs = new Collector();
        EventsGrpc.newStub(core.as(a)).subscribe(SubscribeRequest.getDefaultInstance(), mine);
        EventsGrpc.newStub(core.as(b)).subscribe(SubscribeRequest.getDefaultInstance(), theirs);

        DmaGrpc.newBlockingStub(core.as(a)).translate(TranslateRequest.newBuilder()
                .addRequests(CoreGateway.dmaRequest(CoreGateway.VTD_DEVICE, 0x7000, 2)).build());

        Event e = mine.events.poll(10, TimeUnit.SECONDS);
        assertNotNull(e, "the fault is delivered");
        assertEquals(1, e.getSequence());
        assertEquals(Event.KindCase.DEVICE_FAULT, e.getKindCase());
        DeviceFaultEvent f = e.getDeviceFault();
        assertEquals("dmar0", f.getUnit());
        assertEquals(CoreGateway.VTD_DEVICE, f.getDevice());
        assertEquals(0x7000, f.getIova());
        assertEquals(2, f.getPerm());
        assertEquals("config", f.getStage());
        assertEquals(16, f.getRecord().size());
        assertTrue(f.getUnitSequence() >= 1);
        assertTrue(theirs.events.isEmpty(), "session b issued no DMA from the device");
    }

    @Test
    void anOpenStreamKeepsTheLeaseAndItsEndLetsItRunOut() throws Exception {
        core = new CoreGateway(regionDir);
        String id = core.open("streaming", 100);
        Collector events = new Collector();
        Context.CancellableContext call = Context.current().withCancellation();
        call.run(() -> EventsGrpc.newStub(core.as(id)).subscribe(SubscribeRequest.getDefaultInstance(), events));

        // Ten leases pass without a call: the stream alone keeps the session.
        Thread.sleep(1_000);
        assertTrue(core.sessions.find(id).isPresent(), "the open stream renews the lease");

        call.cancel(null);
        for (int i = 0; i < 2_000 && core.sessions.find(id).isPresent(); i++) {
            Thread.sleep(5);
        }
        assertFalse(core.sessions.find(id).isPresent(), "without the stream the lease runs out");
    }

    @Test
    void theStreamEndsWhenTheSessionCloses() throws Exception {
        core = new CoreGateway(regionDir);
        String id = core.open("closing", 0);
        Collector events = new Collector();
        EventsGrpc.newStub(core.as(id)).subscribe(SubscribeRequest.getDefaultInstance(), events);
        core.sessions.find(id).orElseThrow().close();
        assertTrue(events.ended.await(10, TimeUnit.SECONDS));
    }
}
