package io.nestor.core.dma;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.core.fault.FaultEvent;

/**
 * A device's DMA read or write stopped at a translation fault: {@code EFAULT}, with the fault as
 * the unit reported it (recorded in its fault log or event queue and delivered upward).
 */
public final class DmaFaultException extends IommuException {
    private static final long serialVersionUID = 1L;

    private final transient FaultEvent event;

    public DmaFaultException(FaultEvent event) {
        super(Errno.EFAULT, String.format("DMA of %s%s faulted: %s", event.device().name(),
                event.pasid() < 0 ? "" : " PASID " + event.pasid(), event.fault()));
        this.event = event;
    }

    public FaultEvent event() {
        return event;
    }
}
