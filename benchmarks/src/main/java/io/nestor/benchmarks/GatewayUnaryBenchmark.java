package io.nestor.benchmarks;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.nestor.gateway.grpc.proto.CreateRegionRequest;
import io.nestor.gateway.grpc.proto.IoasAllocRequest;
import io.nestor.gateway.grpc.proto.IoasMapRequest;
import io.nestor.gateway.grpc.proto.IoasMapResponse;
import io.nestor.gateway.grpc.proto.IoasUnmapRequest;
import io.nestor.gateway.grpc.proto.IoasUnmapResponse;
import io.nestor.gateway.grpc.proto.IommufdGrpc;
import io.nestor.gateway.grpc.proto.IommufdOpenRequest;
import io.nestor.gateway.grpc.proto.MemoryGrpc;
import io.nestor.gateway.grpc.proto.Region;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A unary {@code Iommufd.IoasMap} + {@code IoasUnmap} round trip over a real Netty server on
 * loopback, against the same two unary calls to a trivial service with the same payload sizes.
 *
 * <p>{@link #ioasMapUnmap}: IoasMap of one 4 KiB page of an anonymous region at a fixed IOVA
 * (FIXED_IOVA | READABLE | WRITEABLE), then IoasUnmap of it, so the IOAS is the same after every
 * operation and state does not grow. Each call passes the session interceptor (session lookup and
 * lease renewal) and the core's checks, area bookkeeping and page pinning.
 *
 * <p>{@link #plainUnaryPair}: two unary calls of a hand-built grpc-java method
 * ({@code bench.Echo/Unary}, {@code google.protobuf.BytesValue} both ways, protobuf marshaller) whose
 * handler answers a pre-built response: the first request and response have exactly the serialized
 * sizes of the IoasMap request and response, the second those of IoasUnmap. It is served by the same
 * server (same event loops, executor and limits), without the session interceptor, and called on the
 * same channel with the same {@code nestor-session} metadata, so the bytes on the wire match.
 *
 * <p>The {@code sideBySide} group runs both at once (one thread each); see there.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
public class GatewayUnaryBenchmark {
    private static final int FIXED_IOVA_READ_WRITE = 1 | 2 | 4;
    private static final long IOVA = 0x10_0000L;
    private static final long PAGE = 4096;

    private static final MethodDescriptor<BytesValue, BytesValue> ECHO = MethodDescriptor
            .<BytesValue, BytesValue>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName("bench.Echo", "Unary"))
            .setRequestMarshaller(ProtoUtils.marshaller(BytesValue.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(BytesValue.getDefaultInstance()))
            .build();

    private LoopbackGateway gateway;
    private IommufdGrpc.IommufdBlockingStub iommufd;
    private IoasMapRequest map;
    private IoasUnmapRequest unmap;
    private BytesValue mapSized;
    private BytesValue unmapSized;
    /** The trivial service's answers, by the size of the request they answer. */
    private volatile BytesValue mapResponseSized;
    private volatile BytesValue unmapResponseSized;

    @Setup(Level.Trial)
    public void setUp() {
        ServerServiceDefinition echo = ServerServiceDefinition.builder("bench.Echo")
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, responses) -> {
                    responses.onNext(request.getValue().size() == mapSized.getValue().size() ? mapResponseSized
                            : unmapResponseSized);
                    responses.onCompleted();
                }))
                .build();
        gateway = new LoopbackGateway(echo);
        iommufd = IommufdGrpc.newBlockingStub(gateway.session);
        Region region = MemoryGrpc.newBlockingStub(gateway.session)
                .createRegion(CreateRegionRequest.newBuilder().setSize(1 << 20).build()).getRegion();
        int fd = iommufd.open(IommufdOpenRequest.getDefaultInstance()).getIommufd();
        int ioas = iommufd.ioasAlloc(IoasAllocRequest.newBuilder().setIommufd(fd).build()).getOutIoasId();
        map = IoasMapRequest.newBuilder().setIommufd(fd).setFlags(FIXED_IOVA_READ_WRITE).setIoasId(ioas)
                .setUserVa(region.getUserVa()).setLength(PAGE).setIova(IOVA).build();
        unmap = IoasUnmapRequest.newBuilder().setIommufd(fd).setIoasId(ioas).setIova(IOVA).setLength(PAGE).build();

        // One real round trip sizes the baseline's messages and checks that the cycle leaves no state.
        IoasMapResponse mapped = iommufd.ioasMap(map);
        IoasUnmapResponse unmapped = iommufd.ioasUnmap(unmap);
        if (mapped.getIova() != IOVA || unmapped.getLength() != PAGE) {
            throw new IllegalStateException("map / unmap answered " + mapped + " / " + unmapped);
        }
        mapSized = sized(map.getSerializedSize());
        unmapSized = sized(unmap.getSerializedSize());
        mapResponseSized = sized(mapped.getSerializedSize());
        unmapResponseSized = sized(unmapped.getSerializedSize());
        if (mapSized.getValue().size() == unmapSized.getValue().size()) {
            throw new IllegalStateException("map and unmap requests have the same size; the echo cannot tell them"
                    + " apart");
        }
    }

    /**
     * A BytesValue of exactly {@code serializedSize} bytes: the value's tag and one-byte length take
     * 2 (the messages here are far below 128 bytes); an empty value serializes to nothing.
     */
    private static BytesValue sized(int serializedSize) {
        BytesValue v = serializedSize == 0 ? BytesValue.getDefaultInstance()
                : BytesValue.of(ByteString.copyFrom(new byte[serializedSize - 2]));
        if (v.getSerializedSize() != serializedSize) {
            throw new IllegalStateException("cannot size a BytesValue to " + serializedSize + " bytes");
        }
        return v;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        gateway.close();
    }

    @Benchmark
    public long ioasMapUnmap() {
        long iova = iommufd.ioasMap(map).getIova();
        return iova + iommufd.ioasUnmap(unmap).getLength();
    }

    @Benchmark
    public int plainUnaryPair() {
        BytesValue a = ClientCalls.blockingUnaryCall(gateway.session, ECHO, io.grpc.CallOptions.DEFAULT, mapSized);
        BytesValue b = ClientCalls.blockingUnaryCall(gateway.session, ECHO, io.grpc.CallOptions.DEFAULT, unmapSized);
        return a.getValue().size() + b.getValue().size();
    }

    /*
     * The same two operations run side by side, one thread each, in one JMH group: on a machine
     * whose load changes from one benchmark to the next (other builds), both then see the same
     * background load, and each other. Each reports its own time per operation.
     */

    @Benchmark
    @Group("sideBySide")
    @GroupThreads(1)
    public long sideBySideIoasMapUnmap() {
        return ioasMapUnmap();
    }

    @Benchmark
    @Group("sideBySide")
    @GroupThreads(1)
    public int sideBySidePlainUnaryPair() {
        return plainUnaryPair();
    }
}
