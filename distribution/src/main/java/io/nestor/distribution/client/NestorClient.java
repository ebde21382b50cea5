package io.nestor.distribution.client;

import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.nestor.gateway.grpc.proto.GetUnitInfoRequest;
import io.nestor.gateway.grpc.proto.ListDevicesRequest;
import io.nestor.gateway.grpc.proto.ListDriversRequest;
import io.nestor.gateway.grpc.proto.ListUnitsRequest;
import io.nestor.gateway.grpc.proto.PlatformGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/nestor-client}: a plain gRPC client for a first look at a running platform from outside
 * it, as a VMM would connect. It prints each response as JSON (proto field names) so the output
 * shows exactly what a client receives.
 */
public final class NestorClient {

    private static final String USAGE = String.join("\n",
            "usage: nestor-client [--target HOST:PORT] COMMAND",
            "  health            gRPC health of the platform (SERVING / NOT_SERVING)",
            "  units             nestor.v1.Platform/ListUnits",
            "  unit NAME         nestor.v1.Platform/GetUnitInfo",
            "  devices           nestor.v1.Platform/ListDevices",
            "  drivers           nestor.v1.Platform/ListDrivers",
            "the target defaults to 127.0.0.1:50051");

    private NestorClient() {
    }

    public static void main(String[] args) throws Exception {
        String target = "127.0.0.1:50051";
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--target") && i + 1 < args.length) {
                target = args[++i];
            } else if (args[i].equals("-h") || args[i].equals("--help")) {
                System.out.println(USAGE);
                return;
            } else {
                rest.add(args[i]);
            }
        }
        if (rest.isEmpty()) {
            System.err.println(USAGE);
            System.exit(2);
        }
        ManagedChannel channel = NettyChannelBuilder.forTarget(target).usePlaintext().build();
        try {
            System.out.println(run(channel, rest));
        } catch (StatusRuntimeException e) {
            System.err.println(e.getStatus().getCode() + ": " + e.getStatus().getDescription());
            System.exit(1);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    static String run(ManagedChannel channel, List<String> command) throws Exception {
        PlatformGrpc.PlatformBlockingStub platform =
                PlatformGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        switch (command.get(0)) {
            case "health":
                return json(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.getDefaultInstance()));
            case "units":
                return json(platform.listUnits(ListUnitsRequest.getDefaultInstance()));
            case "devices":
                return json(platform.listDevices(ListDevicesRequest.getDefaultInstance()));
            case "drivers":
                return json(platform.listDrivers(ListDriversRequest.getDefaultInstance()));
            case "unit":
                if (command.size() < 2) {
                    throw new IllegalArgumentException("unit needs a NAME\n" + USAGE);
                }
                return json(platform.getUnitInfo(GetUnitInfoRequest.newBuilder().setName(command.get(1)).build()));
            default:
                throw new IllegalArgumentException("unknown command " + command.get(0) + "\n" + USAGE);
        }
    }

    private static String json(MessageOrBuilder message) throws Exception {
        return JsonFormat.printer().preservingProtoFieldNames().print(message);
    }
}
