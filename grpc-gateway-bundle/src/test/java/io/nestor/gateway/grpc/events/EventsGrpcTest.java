package io.nestor.gateway.grpc.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.nestor.api.session.SessionQuotas;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.EventCollector;
import io.nestor.gateway.grpc.proto.AttachIommufdPtRequest;
import io.nestor.gateway.grpc.proto.DeviceFaultEvent;
import io.nestor.gateway.grpc.proto.DmaGrpc;
import io.nestor.gateway.grpc.proto.DmaPageRequest;
import io.nestor.gateway.grpc.proto.DmaPageResponse;
import io.nestor.gateway.grpc.proto.DmaSource;
import io.nestor.gateway.grpc.proto.Event;
import io.nestor.gateway.grpc.proto.EventsGrpc;
import io.nestor.gateway.grpc.proto.FaultQueueAllocRequest;
import io.nestor.gateway.grpc.proto.FaultRespondRequest;
import io.nestor.gateway.grpc.proto.HwptAllocRequest;
import io.nestor.gateway.grpc.proto.IoasAllocRequest;
import io.nestor.gateway.grpc.proto.IommufdGrpc;
import io.nestor.gateway.grpc.proto.SubscribeRequest;
import io.nestor.gateway.grpc.proto.TranslateRequest;
import io.nestor.gateway.grpc.proto.VfioDeviceGrpc;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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

    @Test
    void aFaultOfTheSessionsDmaArrivesOnItsStreamAndNotOnAnothers() throws Exception {
        core = new CoreGateway(regionDir);
        String a = core.open("a", 0);
        String b = core.open("b", 0);
        EventCollector mine = EventCollector.subscribe(core.as(a));
        EventCollector theirs = EventCollector.subscribe(core.as(b));
        CoreGateway.Bound bound = core.bind(a, CoreGateway.VTD_DEVICE);

        DmaGrpc.newBlockingStub(core.as(a)).translate(TranslateRequest.newBuilder()
                .addRequests(CoreGateway.dmaRequest(CoreGateway.VTD_DEVICE, 0x7000, 2)).build());

        Event e = mine.events.poll(10, TimeUnit.SECONDS);
        assertNotNull(e, "the fault is delivered");
        assertEquals(1, e.getSequence());
        assertEquals(Event.KindCase.DEVICE_FAULT, e.getKindCase());
        DeviceFaultEvent f = e.getDeviceFault();
        assertEquals("dmar0", f.getUnit());
        assertEquals(CoreGateway.VTD_DEVICE, f.getDevice());
        assertEquals(bound.devId(), f.getDevId(), "the device object id in the context that bound it");
        assertEquals(0x7000, f.getIova());
        assertEquals(2, f.getPerm());
        assertEquals("config", f.getStage());
        assertEquals(16, f.getRecord().size());
        assertTrue(f.getUnitSequence() >= 1);
        assertTrue(theirs.events.isEmpty(), "session b does not own the device");
    }

    @Test
    void anOpenStreamKeepsTheLeaseAndItsEndLetsItRunOut() throws Exception {
        core = new CoreGateway(regionDir);
        String id = core.open("streaming", 100);
        EventCollector events = new EventCollector();
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
    void aSlowSubscriberLosesEventsBeyondItsBufferAndSeesTheGap() throws Exception {
        core = new CoreGateway(regionDir, 60_000, new SessionQuotas(1 << 20, 16, 4));
        String id = core.open("slow", 0);
        EventCollector events = new EventCollector();
        AtomicReference<ClientCallStreamObserver<SubscribeRequest>> call = new AtomicReference<>();
        EventsGrpc.newStub(core.as(id)).subscribe(SubscribeRequest.getDefaultInstance(),
                new ClientResponseObserver<SubscribeRequest, Event>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
                        requestStream.disableAutoRequestWithInitial(0); // the client reads nothing yet
                        call.set(requestStream);
                    }

                    @Override
                    public void onNext(Event value) {
                        events.onNext(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        events.onError(t);
                    }

                    @Override
                    public void onCompleted() {
                        events.onCompleted();
                    }
                });
        core.bind(id, CoreGateway.VTD_DEVICE);
        TranslateRequest.Builder batch = TranslateRequest.newBuilder();
        for (int i = 0; i < 10; i++) {
            batch.addRequests(CoreGateway.dmaRequest(CoreGateway.VTD_DEVICE, 0x1000L * (i + 1), 1));
        }
        DmaGrpc.newBlockingStub(core.as(id)).translate(batch.build()); // 10 faults, room for 4
        call.get().request(100);
        List<Long> sequences = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Event e = events.events.poll(10, TimeUnit.SECONDS);
            assertNotNull(e, "buffered event " + i);
            sequences.add(e.getSequence());
            assertEquals(0x1000L * (i + 1), e.getDeviceFault().getIova(), "the oldest are kept, in order");
        }
        assertEquals(List.of(1L, 2L, 3L, 4L), sequences);
        DmaGrpc.newBlockingStub(core.as(id)).translate(TranslateRequest.newBuilder()
                .addRequests(CoreGateway.dmaRequest(CoreGateway.VTD_DEVICE, 0xb000, 1)).build());
        Event next = events.events.poll(10, TimeUnit.SECONDS);
        assertNotNull(next);
        assertEquals(11, next.getSequence(), "events 5..10 were lost: the gap shows it");
    }

    @Test
    void aPageRequestGoesThroughTheFaultQueueToTheStreamAndFaultRespondAnswersTheDevice() throws Exception {
        core = new CoreGateway(regionDir);
        String id = core.open("svm", 0);
        EventCollector events = EventCollector.subscribe(core.as(id));
        CoreGateway.Bound dev = core.bind(id, CoreGateway.PRI_DEVICE);
        IommufdGrpc.IommufdBlockingStub iommufd = IommufdGrpc.newBlockingStub(core.as(id));
        int ioas = iommufd.ioasAlloc(IoasAllocRequest.newBuilder().setIommufd(dev.iommufd()).build()).getOutIoasId();
        int faultId = iommufd.faultQueueAlloc(FaultQueueAllocRequest.newBuilder().setIommufd(dev.iommufd()).build())
                .getOutFaultId();
        int hwpt = iommufd.hwptAlloc(HwptAllocRequest.newBuilder().setIommufd(dev.iommufd()).setDevId(dev.devId())
                .setPtId(ioas).setFlags(4 /* IOMMU_HWPT_ALLOC_FAULT_ID_VALID */).setFaultId(faultId).build())
                .getOutHwptId();
        VfioDeviceGrpc.newBlockingStub(core.as(id)).attachIommufdPt(AttachIommufdPtRequest.newBuilder()
                .setDevice(CoreGateway.PRI_DEVICE).setPtId(hwpt).build());
        ExecutorService device = Executors.newSingleThreadExecutor();
        try {
            Future<DmaPageResponse> answer = device.submit(() -> DmaGrpc.newBlockingStub(core.as(id))
                    .pageRequest(DmaPageRequest.newBuilder()
                            .setSource(DmaSource.newBuilder().setDevice(CoreGateway.PRI_DEVICE))
                            .setAddr(0x7f00_0000_1000L).setPerm(3).setGrpid(5).setLastPage(true).build()));
            Event e = events.events.poll(10, TimeUnit.SECONDS);
            assertNotNull(e, "the page request is delivered");
            assertEquals(dev.iommufd(), e.getPageFault().getIommufd());
            assertEquals(faultId, e.getPageFault().getFaultId());
            ByteBuffer pgfault = e.getPageFault().getPgfault().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(40, pgfault.remaining());
            assertEquals(2, pgfault.getInt(0), "LAST_PAGE, no PASID");
            assertEquals(dev.devId(), pgfault.getInt(4));
            assertEquals(5, pgfault.getInt(12));
            assertEquals(3, pgfault.getInt(16));
            assertEquals(0x7f00_0000_1000L, pgfault.getLong(24));
            int cookie = pgfault.getInt(36);
            assertEquals(1, cookie);

            assertEquals(1, iommufd.faultRespond(FaultRespondRequest.newBuilder().setIommufd(dev.iommufd())
                    .setFaultId(faultId).addResponses(io.nestor.gateway.grpc.proto.PageResponse.newBuilder()
                            .setCookie(cookie).setCode(0)).build()).getCount());
            assertEquals(0, answer.get(10, TimeUnit.SECONDS).getCode(), "SUCCESS reached the device");
        } finally {
            device.shutdownNow();
        }
    }

    @Test
    void aUnitLosingItsDriverIsAUnitStateEvent() throws Exception {
        core = new CoreGateway(regionDir);
        String id = core.open("watcher", 0);
        EventCollector events = EventCollector.subscribe(core.as(id));
        core.registry.removeDriver(1L); // the VT-d driver service CoreGateway bound
        Event e = events.events.poll(10, TimeUnit.SECONDS);
        assertNotNull(e);
        assertEquals(Event.KindCase.UNIT_STATE, e.getKindCase());
        assertEquals("dmar0", e.getUnitState().getUnit().getName());
        assertEquals(io.nestor.gateway.grpc.proto.UnitState.UNIT_STATE_UNAVAILABLE,
                e.getUnitState().getUnit().getState());
    }

    @Test
    void theStreamEndsWhenTheSessionCloses() throws Exception {
        core = new CoreGateway(regionDir);
        String id = core.open("closing", 0);
        EventCollector events = EventCollector.subscribe(core.as(id));
        core.sessions.find(id).orElseThrow().close();
        assertTrue(events.ended.await(10, TimeUnit.SECONDS));
    }
}
