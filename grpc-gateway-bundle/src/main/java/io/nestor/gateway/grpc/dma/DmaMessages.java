package io.nestor.gateway.grpc.dma;

import com.google.protobuf.ByteString;
import io.nestor.api.dma.DeviceFault;
import io.nestor.api.dma.DmaRequest;
import io.nestor.api.dma.DmaResult;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.Fault;
import io.nestor.gateway.grpc.proto.DeviceFaultEvent;
import io.nestor.gateway.grpc.proto.DmaFault;
import io.nestor.gateway.grpc.proto.DmaSource;
import io.nestor.gateway.grpc.proto.DmaTranslation;
import java.util.Locale;

/** Conversions between the DMA messages of {@code dma.proto} / {@code events.proto} and the API. */
public final class DmaMessages {

    private DmaMessages() {
    }

    /**
     * The device a source names.
     *
     * @throws IommuException EOPNOTSUPP for a source naming only a {@code dev_id} (no device objects
     *     yet), EINVAL for a source naming nothing
     */
    public static String device(DmaSource source) {
        if (!source.getDevice().isEmpty()) {
            return source.getDevice();
        }
        if (source.getDevId() != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "dev_id %d: addressing devices by iommufd device object is not"
                    + " served yet; name the device", Integer.toUnsignedLong(source.getDevId()));
        }
        throw new IommuException(Errno.EINVAL, "the DMA source names no device");
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
