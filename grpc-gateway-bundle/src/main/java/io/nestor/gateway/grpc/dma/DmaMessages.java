package io.nestor.gateway.grpc.dma;

import com.google.protobuf.ByteString;
import io.nestor.api.dma.DeviceFault;
import io.nestor.api.dma.DmaRequest;
import io.nestor.api.dma.DmaResult;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.session.Session;
import io.nestor.api.translation.Fault;
import io.nestor.gateway.grpc.proto.DeviceFaultEvent;
import io.nestor.gateway.grpc.proto.DmaFault;
import io.nestor.gateway.grpc.proto.DmaSource;
import io.nestor.gateway.grpc.proto.DmaTranslation;
import java.util.List;
import java.util.Locale;

/** Conversions between the DMA messages of {@code dma.proto} / {@code events.proto} and the API. */
public final class DmaMessages {

    private DmaMessages() {
    }

    /**
     * The device a source names: its name, or the device behind its {@code dev_id} in the session's
     * context {@code iommufd} (0: the session's only context).
     *
     * @throws IommuException EINVAL for a source naming nothing, or a {@code dev_id} without
     *     {@code iommufd} in a session with several contexts or none; EBADF for a bad context; ENOENT
     *     for a {@code dev_id} that is not a DEVICE of the context
     */
    public static String device(Session session, DmaSource source) {
        if (!source.getDevice().isEmpty()) {
            return source.getDevice();
        }
        if (source.getDevId() == 0) {
            throw new IommuException(Errno.EINVAL, "the DMA source names no device");
        }
        int iommufd = source.getIommufd();
        if (iommufd == 0) {
            List<Integer> contexts = session.iommufd().contexts();
            if (contexts.size() != 1) {
                throw IommuException.of(Errno.EINVAL, "dev_id %d without iommufd: the session has %d iommufd contexts",
                        Integer.toUnsignedLong(source.getDevId()), contexts.size());
            }
            iommufd = contexts.get(0);
        }
        return session.iommufd().deviceName(iommufd, source.getDevId());
    }

    /** The PASID a source carries, or {@link DmaRequest#NO_PASID}. */
    public static int pasid(DmaSource source) {
        if (!source.getPasidValid()) {
            return DmaRequest.NO_PASID;
        }
        if (source.getPasid() < 0) { // above 2^31: no PCIe PASID is this wide
            throw IommuException.of(Errno.EINVAL, "PASID %d is wider than 20 bits", Integer.toUnsignedLong(source.getPasid()));
        }
        return source.getPasid();
    }

    public static io.nestor.gateway.grpc.proto.DmaResult result(DmaResult r) {
        io.nestor.gateway.grpc.proto.DmaResult.Builder out = io.nestor.gateway.grpc.proto.DmaResult.newBuilder();
        if (r.isFault()) {
            out.setFault(fault(r.fault()));
        } else {
            out.setTranslation(DmaTranslation.newBuilder()
                    .setOutputAddress(r.outputAddress())
                    .setPageSize(r.pageSize())
                    .setPerm(r.permissions()));
        }
        return out.build();
    }

    public static DmaFault fault(DeviceFault f) {
        Fault fault = f.fault();
        return DmaFault.newBuilder()
                .setStage(fault.stage().name().toLowerCase(Locale.ROOT))
                .setReason(fault.reason().name().toLowerCase(Locale.ROOT))
                .setLevel(fault.level())
                .setFaultAddress(fault.faultAddress())
                .setStage1TableFetch(fault.onStage1TableFetch())
                .setRecord(ByteString.copyFrom(f.record()))
                .build();
    }

    public static DeviceFaultEvent faultEvent(DeviceFault f) {
        Fault fault = f.fault();
        DeviceFaultEvent.Builder out = DeviceFaultEvent.newBuilder()
                .setUnit(f.unit())
                .setDevice(f.device())
                .setDevId(f.devId())
                .setIova(fault.iova())
                .setPerm(fault.access())
                .setStage(fault.stage().name().toLowerCase(Locale.ROOT))
                .setReason(fault.reason().name().toLowerCase(Locale.ROOT))
                .setLevel(fault.level())
                .setFaultAddress(fault.faultAddress())
                .setStage1TableFetch(fault.onStage1TableFetch())
                .setRecord(ByteString.copyFrom(f.record()))
                .setUnitSequence(f.unitSequence());
        if (f.pasid() >= 0) {
            out.setPasidValid(true).setPasid(f.pasid());
        }
        return out.build();
    }
}
