package io.nestor.benchmarks;

import io.nestor.api.dma.Dma;
import io.nestor.api.dma.DmaResult;
import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.core.pagetable.TableGeometry;
import io.nestor.core.unit.IommuUnit;
import io.nestor.gateway.grpc.proto.DmaGrpc;
import io.nestor.gateway.grpc.proto.DmaRequest;
import io.nestor.gateway.grpc.proto.DmaResult.OutcomeCase;
import io.nestor.gateway.grpc.proto.DmaSource;
import io.nestor.gateway.grpc.proto.TranslateRequest;
import io.nestor.gateway.grpc.proto.TranslateResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Batched {@code Dma.Translate} over loopback: translations per second through a VT-d unit with a
 * real paging domain and an attached device.
 *
 * <p>Set-up, through the core directly (the gateway serves no device binding yet): the real
 * {@code VtdDriver} allocates a paging domain on {@code dmar0} and attaches the legacy device
 * {@value #DEVICE} to it (context entries in memory, unit brought up as Linux does); {@value #PAGES}
 * 4 KiB pages are written into the domain's second-stage tables. The session's DMA then translates
 * by device name. Each batch is {@code batch} read requests for pages picked at random (fixed seed)
 * among the mapped ones, pre-built once; set-up checks every answer of every batch against the
 * mapping, so the benchmark measures hits of the real path (IOTLB after the first pass).
 *
 * <p>The figure to read is the auxiliary counter {@code translations} (per second, summed over
 * threads). {@link #translateBatch} sends the per-request form (a {@code DmaRequest} message with
 * its source per request, a {@code DmaResult} per answer), {@link #translateCompact} the same batch
 * in the compact form (packed IOVAs, packed answer columns). {@link #coreOnly} is the same batch
 * through the session's {@link Dma} API in-process, no gRPC: the core's share.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
public class DmaTranslateBenchmark {
    static final String DEVICE = "0000:00:04.0";
    static final int PAGES = 4096;
    private static final long IOVA_BASE = 0x4000_0000L;
    private static final long PA_BASE = 0x1_0000_0000L;

    @Param({"256", "1024", "4096"})
    public int batch;

    private LoopbackGateway gateway;
    private DmaGrpc.DmaBlockingStub dma;
    private TranslateRequest request;
    private TranslateRequest compact;
    private List<io.nestor.api.dma.DmaRequest> apiRequests;
    private Dma sessionDma;

    /** Translations answered, reported per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long translations;

        @Setup(Level.Iteration)
        public void reset() {
            translations = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        gateway = new LoopbackGateway();
        IommuUnit unit = gateway.registry.runtimeUnit("dmar0").orElseThrow();
        DeviceInfo device = gateway.registry.devices().stream().filter(d -> d.name().equals(DEVICE)).findFirst()
                .orElseThrow();
        DomainDescriptor domain = gateway.vtd.allocPagingDomain(unit, 0);
        PageTableFormat format = gateway.vtd.pagingFormat(unit, domain);
        for (int i = 0; i < PAGES; i++) {
            map(unit, domain, format, IOVA_BASE + ((long) i << 12), PA_BASE + ((long) i << 12));
        }
        // Only the owning session issues a device's DMA: the session binds it to an iommufd context.
        io.nestor.api.session.Session owner = gateway.sessions.find(gateway.sessionId).orElseThrow();
        owner.vfioDevices().bindIommufd(DEVICE, 0, owner.iommufd().open());
        gateway.vtd.attachDevice(unit, device, domain);

        SplittableRandom random = new SplittableRandom(42);
        TranslateRequest.Builder b = TranslateRequest.newBuilder();
        TranslateRequest.Builder c = TranslateRequest.newBuilder().setSource(DmaSource.newBuilder().setDevice(DEVICE))
                .addPerms(Access.READ);
        apiRequests = new ArrayList<>(batch);
        long[] pages = new long[batch];
        for (int i = 0; i < batch; i++) {
            pages[i] = random.nextInt(PAGES);
            long iova = IOVA_BASE + (pages[i] << 12) + 8 * random.nextInt(512);
            b.addRequests(DmaRequest.newBuilder().setSource(DmaSource.newBuilder().setDevice(DEVICE)).setIova(iova)
                    .setPerm(Access.READ));
            c.addIovas(iova);
            apiRequests.add(new io.nestor.api.dma.DmaRequest(DEVICE, io.nestor.api.dma.DmaRequest.NO_PASID, iova,
                    Access.READ));
        }
        request = b.build();
        compact = c.build();
        dma = DmaGrpc.newBlockingStub(gateway.session).withMaxInboundMessageSize(Integer.MAX_VALUE);
        sessionDma = gateway.sessions.find(gateway.sessionId).orElseThrow().dma();

        TranslateResponse answer = dma.translate(request);
        TranslateResponse compactAnswer = dma.translate(compact);
        List<DmaResult> direct = sessionDma.translate(apiRequests);
        for (int i = 0; i < batch; i++) {
            long expected = PA_BASE + (pages[i] << 12) + (request.getRequests(i).getIova() & 0xfff);
            io.nestor.gateway.grpc.proto.DmaResult r = answer.getResults(i);
            if (r.getOutcomeCase() != OutcomeCase.TRANSLATION || r.getTranslation().getOutputAddress() != expected
                    || direct.get(i).isFault() || direct.get(i).outputAddress() != expected
                    || compactAnswer.getOutputAddresses(i) != expected || compactAnswer.getPageSizes(i) != 4096) {
                throw new IllegalStateException("request " + i + " answered " + r + " / " + direct.get(i) + " / 0x"
                        + Long.toHexString(compactAnswer.getOutputAddresses(i))
                        + ", expected 0x" + Long.toHexString(expected));
            }
        }
    }

    /** Writes a 4 KiB read / write leaf into the domain's second-stage tables, as the host driver's map does. */
    private void map(IommuUnit unit, DomainDescriptor domain, PageTableFormat format, long iova, long pa) {
        long table = domain.rootAddress();
        for (int level = format.levels() - 1; level > 0; level--) {
            long entry = table + 8L * TableGeometry.index(format, level, iova);
            long d = gateway.memory.read64(entry);
            if (format.kind(d, level) != PageTableFormat.KIND_TABLE) {
                d = format.encodeTable(unit.allocatePages(1), level);
                gateway.memory.write64(entry, d);
            }
            table = format.tableAddress(d, level);
        }
        gateway.memory.write64(table + 8L * TableGeometry.index(format, 0, iova),
                format.encodeLeaf(pa, 0, Permission.READ | Permission.WRITE));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        gateway.close();
    }

    /** One Translate call of {@code batch} requests over loopback, one message per request and result. */
    @Benchmark
    public TranslateResponse translateBatch(Counters counters) {
        TranslateResponse r = dma.translate(request);
        counters.translations += r.getResultsCount();
        return r;
    }

    /** The same batch in the compact form: one source, packed IOVAs in, packed columns out. */
    @Benchmark
    public TranslateResponse translateCompact(Counters counters) {
        TranslateResponse r = dma.translate(compact);
        counters.translations += r.getOutputAddressesCount();
        return r;
    }

    /** The same batch through the session's DMA API in-process: what the core costs. */
    @Benchmark
    public List<DmaResult> coreOnly(Counters counters) {
        List<DmaResult> r = sessionDma.translate(apiRequests);
        counters.translations += r.size();
        return r;
    }
}
