package io.nestor.api.dma;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.Map;
import java.util.Objects;

/**
 * A DMA read or write stopped at a translation fault: {@code EFAULT} with the fault, whose
 * addresses also travel as out values ({@code iova}, {@code fault_address}, {@code level},
 * {@code unit_sequence}) so that a remote client receives them in the error.
 */
public final class DmaFaultException extends IommuException {
    private static final long serialVersionUID = 1L;

    private final transient DeviceFault fault;

    public DmaFaultException(DeviceFault fault) {
        super(Errno.EFAULT, String.format("DMA of %s%s faulted: %s", fault.device(),
                fault.pasid() < 0 ? "" : " PASID " + fault.pasid(), fault.fault()),
                Map.of("iova", fault.fault().iova(), "fault_address", fault.fault().faultAddress(),
                        "level", (long) fault.fault().level(), "unit_sequence", fault.unitSequence()),
                null);
        this.fault = Objects.requireNonNull(fault, "fault");
    }

    public DeviceFault fault() {
        return fault;
    }
}
