package io.nestor.core.service;

import io.nestor.api.event.DevicePageRequest;
import io.nestor.api.platform.PlatformListener;
import io.nestor.api.platform.UnitStatus;
import io.nestor.core.fault.FaultEvent;
import io.nestor.core.fault.PageRequestEvent;
import io.nestor.core.fault.UnitEventListener;
import io.nestor.core.platform.DriverRegistry;
import java.util.List;
import java.util.function.Supplier;

/**
 * Routes what the platform reports to the sessions it concerns: a device's faults and page requests
 * to the session that owns the device (bound it to one of its iommufd contexts,
 * {@link SessionDma#drives}), unit state changes to every session. Registered on the registry's
 * {@link io.nestor.core.fault.FaultReporter} and as a {@link PlatformListener}; runs on the reporting thread and does not block.
 */
final class EventRouter implements UnitEventListener, PlatformListener {
    private final DriverRegistry registry;
    private final Supplier<List<CoreSession>> sessions;

    EventRouter(DriverRegistry registry, Supplier<List<CoreSession>> sessions) {
        this.registry = registry;
        this.sessions = sessions;
    }

    @Override
    public void fault(FaultEvent event) {
        for (CoreSession s : sessions.get()) {
            if (s.dma().drives(event.device())) {
                s.events().deviceFault(s.dma().deviceFault(event));
            }
        }
    }

    @Override
    public void pageRequest(PageRequestEvent event) {
        String device = event.device().name();
        for (CoreSession s : sessions.get()) {
            // a device bound to one of the session's iommufd contexts has its requests in fault queues
            if (s.dma().drives(event.device()) && !s.iommufd().hasDevice(event.device())) {
                s.events().pageRequest(new DevicePageRequest(event.unit(), device, event.request(), event.record(),
                        event.sequence()));
            }
        }
    }

    @Override
    public void platformChanged(String unit) {
        List<UnitStatus> changed = unit == null ? registry.units() : registry.unit(unit).map(List::of).orElse(List.of());
        for (CoreSession s : sessions.get()) {
            for (UnitStatus u : changed) {
                s.events().unitChanged(u);
            }
        }
    }
}
