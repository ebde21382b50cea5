package io.nestor.itests.outside;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.nestor.gateway.grpc.proto.AttachIommufdPtRequest;
import io.nestor.gateway.grpc.proto.BindIommufdRequest;
import io.nestor.gateway.grpc.proto.CloseSessionRequest;
import io.nestor.gateway.grpc.proto.CreateRegionRequest;
import io.nestor.gateway.grpc.proto.DestroyRegionRequest;
import io.nestor.gateway.grpc.proto.DestroyRequest;
import io.nestor.gateway.grpc.proto.DeviceFaultEvent;
import io.nestor.gateway.grpc.proto.DmaFault;
import io.nestor.gateway.grpc.proto.DmaGrpc;
import io.nestor.gateway.grpc.proto.DmaReadRequest;
import io.nestor.gateway.grpc.proto.DmaRequest;
import io.nestor.gateway.grpc.proto.DmaResult;
import io.nestor.gateway.grpc.proto.DmaSource;
import io.nestor.gateway.grpc.proto.DmaTranslation;
import io.nestor.gateway.grpc.proto.DmaWriteRequest;
import io.nestor.gateway.grpc.proto.Event;
import io.nestor.gateway.grpc.proto.EventsGrpc;
import io.nestor.gateway.grpc.proto.GetHwInfoRequest;
import io.nestor.gateway.grpc.proto.GetHwInfoResponse;
import io.nestor.gateway.grpc.proto.HwptAllocRequest;
import io.nestor.gateway.grpc.proto.HwptInvalidateRequest;
import io.nestor.gateway.grpc.proto.IoasAllocRequest;
import io.nestor.gateway.grpc.proto.IoasMapRequest;
import io.nestor.gateway.grpc.proto.IoasUnmapRequest;
import io.nestor.gateway.grpc.proto.IommufdCloseRequest;
import io.nestor.gateway.grpc.proto.IommufdGrpc;
import io.nestor.gateway.grpc.proto.IommufdOpenRequest;
import io.nestor.gateway.grpc.proto.KeepAliveRequest;
import io.nestor.gateway.grpc.proto.ListRegionsRequest;
import io.nestor.gateway.grpc.proto.ListVfioDevicesRequest;
import io.nestor.gateway.grpc.proto.MemoryGrpc;
import io.nestor.gateway.grpc.proto.MemoryReadRequest;
import io.nestor.gateway.grpc.proto.MemoryWriteRequest;
import io.nestor.gateway.grpc.proto.OpenSessionRequest;
import io.nestor.gateway.grpc.proto.OpenSessionResponse;
import io.nestor.gateway.grpc.proto.ReadConfigRequest;
import io.nestor.gateway.grpc.proto.Region;
import io.nestor.gateway.grpc.proto.SessionsGrpc;
import io.nestor.gateway.grpc.proto.SubscribeRequest;
import io.nestor.gateway.grpc.proto.TranslateRequest;
import io.nestor.gateway.grpc.proto.TranslateResponse;
import io.nestor.gateway.grpc.proto.UnbindDeviceRequest;
import io.nestor.gateway.grpc.proto.VdeviceAllocRequest;
import io.nestor.gateway.grpc.proto.VeventqAllocRequest;
import io.nestor.gateway.grpc.proto.VfioDeviceEntry;
import io.nestor.gateway.grpc.proto.VfioDeviceGrpc;
import io.nestor.gateway.grpc.proto.ViommuAllocRequest;
import io.nestor.itests.support.RpcFailure;
import io.nestor.itests.support.VmmSession;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A remote VMM's session over the gateway's real loopback port: grpc-java, the generated
 * {@code nestor.v1} stubs, the session id in the {@code nestor-session} metadata of every call.
 * Lives outside OSGi; the probe reaches it through {@code io.nestor.itests.support.Outside}, never
 * by loading it itself (see {@link PlatformGrpcClient}).
 *
 * <p>Thread-safe: the stubs and the channel are; the event queue is a concurrent queue. Every
 * unary call has a deadline, so a hung server fails a test instead of hanging it.
 */
public final class GrpcVmmSession implements VmmSession {
    private static final long DEADLINE_SECONDS = 20;

    private final LoopbackChannel loopback;
    private final ManagedChannel channel;
    private final String id;
    private final long leaseMillis;
    private final Channel session;
    private final BlockingQueue<Map<String, Object>> events = new LinkedBlockingQueue<>();

    /** Opens a new session. */
    public GrpcVmmSession(int port, String clientName, long leaseMillis) {
        this.loopback = new LoopbackChannel(port);
        this.channel = loopback.channel();
        OpenSessionResponse opened;
        try {
            opened = call(() -> SessionsGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                    .open(OpenSessionRequest.newBuilder().setClientName(clientName).setLeaseMillis(leaseMillis)
                            .build()));
        } catch (RuntimeException e) {
            loopback.close();
            throw e;
        }
        this.id = opened.getSessionId();
        this.leaseMillis = opened.getLeaseMillis();
        this.session = ClientInterceptors.intercept(channel, sessionHeader(id));
    }

    /** A second channel on an existing session (or on an id that is not one). */
    public GrpcVmmSession(int port, String sessionId) {
        this.loopback = new LoopbackChannel(port);
        this.channel = loopback.channel();
        this.id = sessionId;
        this.leaseMillis = 0;
        this.session = ClientInterceptors.intercept(channel, sessionHeader(id));
    }

    private static io.grpc.ClientInterceptor sessionHeader(String id) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("nestor-session", Metadata.ASCII_STRING_MARSHALLER), id);
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    /** Runs a call; an error status becomes an {@link RpcFailure} with the ErrorInfo's reason and metadata. */
    private static <T> T call(Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw failure(e);
        }
    }

    private static RpcFailure failure(Throwable t) {
        Status status = Status.fromThrowable(t);
        String reason = "";
        Map<String, String> metadata = Map.of();
        com.google.rpc.Status rich = StatusProto.fromThrowable(t);
        if (rich != null) {
            for (com.google.protobuf.Any any : rich.getDetailsList()) {
                if (any.is(ErrorInfo.class)) {
                    try {
                        ErrorInfo info = any.unpack(ErrorInfo.class);
                        reason = info.getReason();
                        metadata = info.getMetadataMap();
                    } catch (InvalidProtocolBufferException e) {
                        reason = "unreadable ErrorInfo";
                    }
                }
            }
        }
        return new RpcFailure(status.getCode().name(), reason, metadata, String.valueOf(status.getDescription()));
    }

    private SessionsGrpc.SessionsBlockingStub sessions() {
        return SessionsGrpc.newBlockingStub(session).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    private MemoryGrpc.MemoryBlockingStub memory() {
        return MemoryGrpc.newBlockingStub(session).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    private IommufdGrpc.IommufdBlockingStub iommufd() {
        return IommufdGrpc.newBlockingStub(session).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    private VfioDeviceGrpc.VfioDeviceBlockingStub vfio() {
        return VfioDeviceGrpc.newBlockingStub(session).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    private DmaGrpc.DmaBlockingStub dma() {
        return DmaGrpc.newBlockingStub(session).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public long leaseMillis() {
        return leaseMillis;
    }

    @Override
    public long keepAlive() {
        return call(() -> sessions().keepAlive(KeepAliveRequest.getDefaultInstance()).getLeaseMillis());
    }

    @Override
    public void closeSession() {
        call(() -> sessions().close(CloseSessionRequest.getDefaultInstance()));
    }

    // ---- Memory -------------------------------------------------------------------------------

    @Override
    public long[] createRegion(long size) {
        Region r = call(() -> memory().createRegion(CreateRegionRequest.newBuilder().setSize(size).build())).getRegion();
        return new long[] {r.getRegionId(), r.getUserVa(), r.getHostPhysicalBase()};
    }

    @Override
    public List<long[]> listRegions() {
        List<long[]> out = new ArrayList<>();
        for (Region r : call(() -> memory().listRegions(ListRegionsRequest.getDefaultInstance())).getRegionsList()) {
            out.add(new long[] {r.getRegionId(), r.getSize(), r.getUserVa(), r.getHostPhysicalBase(), r.getPins()});
        }
        return out;
    }

    @Override
    public byte[] read(long userVa, int length) {
        return call(() -> memory().read(MemoryReadRequest.newBuilder().setUserVa(userVa).setLength(length).build()))
                .getData().toByteArray();
    }

    @Override
    public void write(long userVa, byte[] data) {
        call(() -> memory().write(MemoryWriteRequest.newBuilder().setUserVa(userVa)
                .setData(ByteString.copyFrom(data)).build()));
    }

    @Override
    public void destroyRegion(int regionId) {
        call(() -> memory().destroyRegion(DestroyRegionRequest.newBuilder().setRegionId(regionId).build()));
    }

    // ---- Iommufd ------------------------------------------------------------------------------

    @Override
    public int iommufdOpen() {
        return call(() -> iommufd().open(IommufdOpenRequest.getDefaultInstance())).getIommufd();
    }

    @Override
    public void iommufdClose(int fd) {
        call(() -> iommufd().close(IommufdCloseRequest.newBuilder().setIommufd(fd).build()));
    }

    @Override
    public void destroy(int fd, int objectId) {
        call(() -> iommufd().destroy(DestroyRequest.newBuilder().setIommufd(fd).setId(objectId).build()));
    }

    @Override
    public int ioasAlloc(int fd) {
        return call(() -> iommufd().ioasAlloc(IoasAllocRequest.newBuilder().setIommufd(fd).build())).getOutIoasId();
    }

    @Override
    public long ioasMap(int fd, int flags, int ioasId, long userVa, long length, long iova) {
        return call(() -> iommufd().ioasMap(IoasMapRequest.newBuilder().setIommufd(fd).setFlags(flags)
                .setIoasId(ioasId).setUserVa(userVa).setLength(length).setIova(iova).build())).getIova();
    }

    @Override
    public long ioasUnmap(int fd, int ioasId, long iova, long length) {
        return call(() -> iommufd().ioasUnmap(IoasUnmapRequest.newBuilder().setIommufd(fd).setIoasId(ioasId)
                .setIova(iova).setLength(length).build())).getLength();
    }

    @Override
    public int hwptAlloc(int fd, int flags, int devId, int ptId, int dataType, byte[] data) {
        return call(() -> iommufd().hwptAlloc(HwptAllocRequest.newBuilder().setIommufd(fd).setFlags(flags)
                .setDevId(devId).setPtId(ptId).setDataType(dataType).setData(ByteString.copyFrom(data)).build()))
                .getOutHwptId();
    }

    @Override
    public int hwptInvalidate(int fd, int hwptId, int dataType, int entryLen, int entryNum, byte[] data) {
        return call(() -> iommufd().hwptInvalidate(HwptInvalidateRequest.newBuilder().setIommufd(fd)
                .setHwptId(hwptId).setDataType(dataType).setEntryLen(entryLen).setEntryNum(entryNum)
                .setData(ByteString.copyFrom(data)).build())).getEntryNum();
    }

    @Override
    public Map<String, Object> getHwInfo(int fd, int devId, int dataLen) {
        GetHwInfoResponse r = call(() -> iommufd().getHwInfo(GetHwInfoRequest.newBuilder().setIommufd(fd)
                .setDevId(devId).setDataLen(dataLen).build()));
        Map<String, Object> out = new HashMap<>();
        out.put("out_data_type", (long) r.getOutDataType());
        out.put("out_max_pasid_log2", (long) r.getOutMaxPasidLog2());
        out.put("out_capabilities", r.getOutCapabilities());
        out.put("data", r.getData().toByteArray());
        return out;
    }

    @Override
    public int viommuAlloc(int fd, int type, int devId, int hwptId) {
        return call(() -> iommufd().viommuAlloc(ViommuAllocRequest.newBuilder().setIommufd(fd).setType(type)
                .setDevId(devId).setHwptId(hwptId).build())).getOutViommuId();
    }

    @Override
    public int vdeviceAlloc(int fd, int viommuId, int devId, long virtId) {
        return call(() -> iommufd().vdeviceAlloc(VdeviceAllocRequest.newBuilder().setIommufd(fd)
                .setViommuId(viommuId).setDevId(devId).setVirtId(virtId).build())).getOutVdeviceId();
    }

    @Override
    public int veventqAlloc(int fd, int viommuId, int type, int depth) {
        return call(() -> iommufd().veventqAlloc(VeventqAllocRequest.newBuilder().setIommufd(fd).setViommuId(viommuId)
                .setType(type).setVeventqDepth(depth).build())).getOutVeventqId();
    }

    // ---- VfioDevice ---------------------------------------------------------------------------

    @Override
    public int bindIommufd(String device, int fd) {
        return call(() -> vfio().bindIommufd(BindIommufdRequest.newBuilder().setDevice(device).setIommufd(fd).build()))
                .getOutDevid();
    }

    @Override
    public void unbind(String device) {
        call(() -> vfio().unbind(UnbindDeviceRequest.newBuilder().setDevice(device).build()));
    }

    @Override
    public int attach(String device, int ptId) {
        return call(() -> vfio().attachIommufdPt(AttachIommufdPtRequest.newBuilder().setDevice(device).setPtId(ptId)
                .build())).getPtId();
    }

    @Override
    public int pasidAttach(String device, int pasid, int ptId) {
        return call(() -> vfio().pasidAttachIommufdPt(AttachIommufdPtRequest.newBuilder().setDevice(device)
                .setFlags(1).setPtId(ptId).setPasid(pasid).build())).getPtId();
    }

    @Override
    public Map<String, boolean[]> listDevices() {
        Map<String, boolean[]> out = new LinkedHashMap<>();
        for (VfioDeviceEntry d : call(() -> vfio().listDevices(ListVfioDevicesRequest.getDefaultInstance()))
                .getDevicesList()) {
            out.put(d.getName(), new boolean[] {d.getBound(), d.getBoundByCaller()});
        }
        return out;
    }

    @Override
    public byte[] readConfig(String device, int offset, int count) {
        return call(() -> vfio().readConfig(ReadConfigRequest.newBuilder().setDevice(device).setOffset(offset)
                .setCount(count).build())).getData().toByteArray();
    }

    // ---- Dma ----------------------------------------------------------------------------------

    private static DmaSource source(int iommufd, int devId, String device, int pasid) {
        DmaSource.Builder s = device == null ? DmaSource.newBuilder().setIommufd(iommufd).setDevId(devId)
                : DmaSource.newBuilder().setDevice(device);
        if (pasid != NO_PASID) {
            s.setPasidValid(true).setPasid(pasid);
        }
        return s.build();
    }

    private TranslateResponse translateCall(DmaSource source, long[] iovas, int perm) {
        TranslateRequest.Builder request = TranslateRequest.newBuilder();
        for (long iova : iovas) {
            request.addRequests(DmaRequest.newBuilder().setSource(source).setIova(iova).setPerm(perm));
        }
        return call(() -> dma().translate(request.build()));
    }

    @Override
    public List<Map<String, Object>> translate(int fd, int devId, int pasid, long[] iovas, int perm) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (DmaResult r : translateCall(source(fd, devId, null, pasid), iovas, perm).getResultsList()) {
            Map<String, Object> m = new HashMap<>();
            if (r.hasTranslation()) {
                DmaTranslation t = r.getTranslation();
                m.put("output_address", t.getOutputAddress());
                m.put("page_size", t.getPageSize());
                m.put("perm", (long) t.getPerm());
            } else {
                DmaFault f = r.getFault();
                m.put("stage", f.getStage());
                m.put("reason", f.getReason());
                m.put("level", (long) f.getLevel());
                m.put("fault_address", f.getFaultAddress());
                m.put("record", f.getRecord().toByteArray());
            }
            out.add(m);
        }
        return out;
    }

    @Override
    public long[] translateOutputs(int fd, int devId, int pasid, long[] iovas, int perm) {
        return outputs(translateCall(source(fd, devId, null, pasid), iovas, perm));
    }

    @Override
    public long[] translateByName(String device, int pasid, long[] iovas, int perm) {
        return outputs(translateCall(source(0, 0, device, pasid), iovas, perm));
    }

    private static long[] outputs(TranslateResponse response) {
        long[] out = new long[response.getResultsCount()];
        for (int i = 0; i < out.length; i++) {
            DmaResult r = response.getResults(i);
            out[i] = r.hasTranslation() ? r.getTranslation().getOutputAddress() : -1;
        }
        return out;
    }

    @Override
    public byte[] dmaRead(int fd, int devId, int pasid, long iova, int length) {
        return call(() -> dma().read(DmaReadRequest.newBuilder().setSource(source(fd, devId, null, pasid)).setIova(iova)
                .setLength(length).build())).getData().toByteArray();
    }

    @Override
    public void dmaWrite(int fd, int devId, int pasid, long iova, byte[] data) {
        call(() -> dma().write(DmaWriteRequest.newBuilder().setSource(source(fd, devId, null, pasid)).setIova(iova)
                .setData(ByteString.copyFrom(data)).build()));
    }

    // ---- Events -------------------------------------------------------------------------------

    @Override
    public void subscribe() {
        EventsGrpc.newStub(session).subscribe(SubscribeRequest.getDefaultInstance(), new StreamObserver<Event>() {
            @Override
            public void onNext(Event e) {
                events.add(event(e));
            }

            @Override
            public void onError(Throwable t) {
                Map<String, Object> end = new HashMap<>();
                end.put("kind", "end");
                end.put("status", Status.fromThrowable(t).getCode().name());
                events.add(end);
            }

            @Override
            public void onCompleted() {
                Map<String, Object> end = new HashMap<>();
                end.put("kind", "end");
                end.put("status", "OK");
                events.add(end);
            }
        });
    }

    private static Map<String, Object> event(Event e) {
        Map<String, Object> m = new HashMap<>();
        m.put("sequence", e.getSequence());
        switch (e.getKindCase()) {
            case DEVICE_FAULT:
                DeviceFaultEvent f = e.getDeviceFault();
                m.put("kind", "device_fault");
                m.put("unit", f.getUnit());
                m.put("device", f.getDevice());
                m.put("dev_id", (long) f.getDevId());
                m.put("pasid_valid", f.getPasidValid());
                m.put("pasid", (long) f.getPasid());
                m.put("iova", f.getIova());
                m.put("perm", (long) f.getPerm());
                m.put("stage", f.getStage());
                m.put("reason", f.getReason());
                m.put("level", (long) f.getLevel());
                m.put("fault_address", f.getFaultAddress());
                m.put("record", f.getRecord().toByteArray());
                m.put("unit_sequence", f.getUnitSequence());
                break;
            case PAGE_FAULT:
                m.put("kind", "page_fault");
                m.put("pgfault", e.getPageFault().getPgfault().toByteArray());
                break;
            case VEVENT:
                m.put("kind", "vevent");
                m.put("iommufd", (long) e.getVevent().getIommufd());
                m.put("veventq_id", (long) e.getVevent().getVeventqId());
                m.put("vevent", e.getVevent().getVevent().toByteArray());
                break;
            case UNIT_STATE:
                m.put("kind", "unit_state");
                m.put("unit", e.getUnitState().getUnit().getName());
                m.put("state", e.getUnitState().getUnit().getState().name());
                break;
            default:
                m.put("kind", "unknown");
        }
        return m;
    }

    @Override
    public Map<String, Object> nextEvent(long timeoutMillis) throws InterruptedException {
        return events.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        loopback.close();
    }
}
