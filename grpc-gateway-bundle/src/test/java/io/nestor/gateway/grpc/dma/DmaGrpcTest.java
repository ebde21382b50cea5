package io.nestor.gateway.grpc.dma;

import static io.nestor.gateway.grpc.CoreGateway.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.proto.DmaFault;
import io.nestor.gateway.grpc.proto.DmaGrpc;
import io.nestor.gateway.grpc.proto.DmaReadRequest;
import io.nestor.gateway.grpc.proto.DmaRequest;
import io.nestor.gateway.grpc.proto.DmaResult;
import io.nestor.gateway.grpc.proto.DmaSource;
import io.nestor.gateway.grpc.proto.TranslateRequest;
import io.nestor.gateway.grpc.proto.TranslateResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nestor.v1.Dma against the real core and VT-d driver: dmar0 translates with an empty root table,
 * so DMA from a device attached to no domain faults in its configuration (root entry not present).
 */
class DmaGrpcTest {
    @TempDir
    Path regionDir;

    private CoreGateway core;
    private String session;
    private DmaGrpc.DmaBlockingStub dma;

    @BeforeEach
    void start() throws Exception {
        core = new CoreGateway(regionDir);
        session = core.open("device-model", 0);
        core.bind(session, CoreGateway.VTD_DEVICE); // only the session that bound a device issues its DMA
        dma = DmaGrpc.newBlockingStub(core.as(session));
    }

    @AfterEach
    void stop() throws Exception {
        core.close();
    }

    @Test
    void aBatchOfRequestsFromAnUnattachedDeviceGetsFaultResults() {
        TranslateResponse r = dma.translate(TranslateRequest.newBuilder()
                .addRequests(CoreGateway.dmaRequest(CoreGateway.VTD_DEVICE, 0x1000, 1))
                .addRequests(CoreGateway.dmaRequest(CoreGateway.VTD_DEVICE, 0x2000, 2))
                .build());
        assertEquals(2, r.getResultsCount());
        for (DmaResult result : r.getResultsList()) {
            assertEquals(DmaResult.OutcomeCase.FAULT, result.getOutcomeCase());
            DmaFault fault = result.getFault();
            assertEquals("config", fault.getStage());
            assertEquals("configuration", fault.getReason());
            assertEquals(16, fault.getRecord().size(), "the unit wrote a 128-bit VT-d fault record");
        }
        assertEquals(0x2000, r.getResults(1).getFault().getFaultAddress());
    }

    @Test
    void aBadRequestFailsTheWholeBatch() {
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> dma.translate(TranslateRequest.newBuilder()
                .addRequests(CoreGateway.dmaRequest(CoreGateway.VTD_DEVICE, 0x1000, 1))
                .addRequests(CoreGateway.dmaRequest("0000:7f:00.0", 0x1000, 1)).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> dma.translate(TranslateRequest.newBuilder()
                .addRequests(CoreGateway.dmaRequest(CoreGateway.VTD_DEVICE, 0x1000, 0x10)).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> dma.translate(TranslateRequest.newBuilder()
                .addRequests(DmaRequest.newBuilder().setSource(DmaSource.newBuilder().setDevice(CoreGateway.VTD_DEVICE)
                        .setPasidValid(true).setPasid(5)).setIova(0).setPerm(1)).build())); // no PASID capability
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> dma.translate(TranslateRequest.newBuilder()
                .addRequests(DmaRequest.newBuilder().setSource(DmaSource.newBuilder().setDevId(3)).setPerm(1)).build()));
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> dma.translate(TranslateRequest.newBuilder()
                .addRequests(CoreGateway.dmaRequest(CoreGateway.PRI_DEVICE, 0x1000, 1)).build())); // a platform device it has not bound
        assertTrue(core.registry.faults().recent("dmar0", 10).isEmpty(), "no request of a bad batch was issued");
    }

    @Test
    void aReadStopsAtTheFaultWithItsAddressesInTheErrorInfo() {
        ErrorInfo info = fails(Status.Code.INVALID_ARGUMENT, "EFAULT", () -> dma.read(DmaReadRequest.newBuilder()
                .setSource(DmaSource.newBuilder().setDevice(CoreGateway.VTD_DEVICE)).setIova(0x5000).setLength(8)
                .build()));
        assertEquals(Long.toString(0x5000), info.getMetadataOrThrow("iova"));
        assertEquals("1", info.getMetadataOrThrow("unit_sequence"));
    }

    @Test
    void theStreamAnswersEachBatchInOrder() throws InterruptedException {
        List<TranslateResponse> answers = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        StreamObserver<TranslateRequest> requests = DmaGrpc.newStub(core.as(session)).translateStream(
                new StreamObserver<>() {
                    @Override
                    public void onNext(TranslateResponse value) {
                        answers.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        done.countDown();
                    }
                });
        requests.onNext(TranslateRequest.newBuilder().addRequests(CoreGateway.dmaRequest(CoreGateway.VTD_DEVICE, 0x1000, 1)).build());
        requests.onNext(TranslateRequest.newBuilder().addRequests(CoreGateway.dmaRequest(CoreGateway.VTD_DEVICE, 0x3000, 1))
                .addRequests(CoreGateway.dmaRequest(CoreGateway.VTD_DEVICE, 0x4000, 1)).build());
        requests.onCompleted();
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertEquals(2, answers.size());
        assertEquals(1, answers.get(0).getResultsCount());
        assertEquals(0x4000, answers.get(1).getResults(1).getFault().getFaultAddress());
    }
}
