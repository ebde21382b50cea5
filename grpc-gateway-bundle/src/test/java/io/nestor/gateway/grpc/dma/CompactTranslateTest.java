package io.nestor.gateway.grpc.dma;

import static io.nestor.gateway.grpc.CoreGateway.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;
import io.nestor.core.pagetable.TableGeometry;
import io.nestor.core.unit.IommuUnit;
import io.nestor.driver.vtd.VtdDriver;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.proto.DmaGrpc;
import io.nestor.gateway.grpc.proto.DmaResult;
import io.nestor.gateway.grpc.proto.DmaSource;
import io.nestor.gateway.grpc.proto.TranslateRequest;
import io.nestor.gateway.grpc.proto.TranslateResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compact form of Dma.Translate against the real core and VT-d driver: the legacy device of
 * dmar0 attached to a real paging domain (set up through the driver, as the host driver would) with
 * two read / write pages and one read-only page; the answers must equal those of the per-request form.
 */
class CompactTranslateTest {
    private static final long IOVA = 0x4000_0000L;
    private static final long PA = 0x1_0000_0000L;
    private static final int READ = 1;
    private static final int WRITE = 2;

    @TempDir
    Path regionDir;

    private CoreGateway core;
    private DmaGrpc.DmaBlockingStub dma;
    private final DmaSource source = DmaSource.newBuilder().setDevice(CoreGateway.VTD_DEVICE).build();

    @BeforeEach
    void start() throws Exception {
        core = new CoreGateway(regionDir);
        VtdDriver driver = new VtdDriver();
        IommuUnit unit = core.registry.runtimeUnit("dmar0").orElseThrow();
        DeviceInfo device = core.registry.devices().stream().filter(d -> d.name().equals(CoreGateway.VTD_DEVICE))
                .findFirst().orElseThrow();
        DomainDescriptor domain = driver.allocPagingDomain(unit, 0);
        PageTableFormat format = driver.pagingFormat(unit, domain);
        map(unit, domain, format, IOVA, PA, Permission.READ | Permission.WRITE);
        map(unit, domain, format, IOVA + 0x1000, PA + 0x5000, Permission.READ | Permission.WRITE);
        map(unit, domain, format, IOVA + 0x2000, PA + 0x9000, Permission.READ);
        String session = core.open("device-model", 0);
        core.bind(session, CoreGateway.VTD_DEVICE); // only the owning session issues the device's DMA
        driver.attachDevice(unit, device, domain);
        dma = DmaGrpc.newBlockingStub(core.as(session));
    }

    private void map(IommuUnit unit, DomainDescriptor domain, PageTableFormat format, long iova, long pa, int perm) {
        PhysicalMemory memory = core.registry.memory();
        long table = domain.rootAddress();
        for (int level = format.levels() - 1; level > 0; level--) {
            long entry = table + 8L * TableGeometry.index(format, level, iova);
            long d = memory.read64(entry);
            if (format.kind(d, level) != PageTableFormat.KIND_TABLE) {
                d = format.encodeTable(unit.allocatePages(1), level);
                memory.write64(entry, d);
            }
            table = format.tableAddress(d, level);
        }
        memory.write64(table + 8L * TableGeometry.index(format, 0, iova), format.encodeLeaf(pa, 0, perm));
    }

    @AfterEach
    void stop() throws Exception {
        core.close();
    }

    @Test
    void theCompactAnswersEqualThoseOfThePerRequestForm() {
        long[] iovas = {IOVA + 0x10, IOVA + 0x1ff8, IOVA + 0x7000, IOVA + 0x2008, IOVA + 0x2010};
        int[] perms = {READ, WRITE, READ, READ, WRITE};
        TranslateRequest.Builder compact = TranslateRequest.newBuilder().setSource(source);
        TranslateRequest.Builder perRequest = TranslateRequest.newBuilder();
        for (int i = 0; i < iovas.length; i++) {
            compact.addIovas(iovas[i]).addPerms(perms[i]);
            perRequest.addRequests(CoreGateway.dmaRequest(CoreGateway.VTD_DEVICE, iovas[i], perms[i]));
        }

        TranslateResponse c = dma.translate(compact.build());
        TranslateResponse r = dma.translate(perRequest.build());

        assertEquals(0, c.getResultsCount());
        assertEquals(List.of(PA + 0x10, PA + 0x5ff8, 0L, PA + 0x9008, 0L), c.getOutputAddressesList());
        assertEquals(List.of(4096L, 4096L, 0L, 4096L, 0L), c.getPageSizesList());
        // A VT-d second-stage leaf has no execute or privilege bits: the unit grants both (EXEC 4, PRIV 8).
        assertEquals(List.of(READ | WRITE | 12, READ | WRITE | 12, 0, READ | 12, 0), c.getPermsList());
        assertEquals(List.of(2, 4), c.getFaultsList().stream().map(f -> f.getIndex()).toList());
        assertEquals("translation", c.getFaults(0).getFault().getReason(), "IOVA + 0x7000 is not mapped");
        assertEquals("permission", c.getFaults(1).getFault().getReason(), "a write to the read-only page");
        for (int i = 0, f = 0; i < iovas.length; i++) {
            DmaResult expected = r.getResults(i);
            if (expected.getOutcomeCase() == DmaResult.OutcomeCase.TRANSLATION) {
                assertEquals(expected.getTranslation().getOutputAddress(), c.getOutputAddresses(i));
                assertEquals(expected.getTranslation().getPageSize(), c.getPageSizes(i));
                assertEquals(expected.getTranslation().getPerm(), c.getPerms(i));
            } else {
                // The same fault but for the unit's record, whose sequence differs (a second fault).
                assertEquals(expected.getFault().toBuilder().clearRecord().build(),
                        c.getFaults(f++).getFault().toBuilder().clearRecord().build());
            }
        }
        assertEquals(16, c.getFaults(0).getFault().getRecord().size(), "the unit wrote a VT-d fault record");
    }

    @Test
    void onePermAppliesToEveryIova() {
        TranslateResponse c = dma.translate(TranslateRequest.newBuilder().setSource(source)
                .addIovas(IOVA).addIovas(IOVA + 0x1000).addIovas(IOVA + 0x2000).addPerms(WRITE).build());

        assertEquals(List.of(PA, PA + 0x5000, 0L), c.getOutputAddressesList());
        assertEquals(1, c.getFaultsCount());
        assertEquals(2, c.getFaults(0).getIndex());
    }

    @Test
    void anEmptyCompactBatchHasAnEmptyAnswer() {
        assertEquals(TranslateResponse.getDefaultInstance(),
                dma.translate(TranslateRequest.newBuilder().setSource(source).build()));
    }

    @Test
    void aBadCompactBatchFailsWholeAndTranslatesNothing() {
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> dma.translate(TranslateRequest.newBuilder()
                .setSource(source).addIovas(IOVA + 0x7000).addPerms(READ)
                .addRequests(CoreGateway.dmaRequest(CoreGateway.VTD_DEVICE, IOVA + 0x7000, READ)).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> dma.translate(TranslateRequest.newBuilder()
                .setSource(source).addIovas(IOVA + 0x7000).addIovas(IOVA).addIovas(IOVA)
                .addPerms(READ).addPerms(READ).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> dma.translate(TranslateRequest.newBuilder()
                .setSource(source).addPerms(READ).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> dma.translate(TranslateRequest.newBuilder()
                .addIovas(IOVA + 0x7000).addPerms(READ).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> dma.translate(TranslateRequest.newBuilder()
                .setSource(source).addIovas(IOVA).addIovas(IOVA + 0x7000).addPerms(READ).addPerms(0x10).build()));
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> dma.translate(TranslateRequest.newBuilder()
                .setSource(DmaSource.newBuilder().setDevice("0000:7f:00.0")).addIovas(IOVA).addPerms(READ).build()));
        assertTrue(core.registry.faults().recent("dmar0", 10).isEmpty(), "no request of a bad batch was issued");
    }
}
