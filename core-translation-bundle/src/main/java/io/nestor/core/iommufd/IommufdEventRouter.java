package io.nestor.core.iommufd;

import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.core.fault.FaultEvent;
import io.nestor.core.fault.PageRequestEvent;
import io.nestor.core.fault.UnitEventListener;
import io.nestor.core.unit.IommuUnit;

/**
 * The iommu core's fault dispatch for devices bound to iommufd contexts
 * ({@code iommu_report_device_fault}, {@code io-pgfault.c}; {@code arm_smmu_handle_event}):
 * registered on the platform's {@link io.nestor.core.fault.FaultReporter}.
 *
 * <ul>
 *   <li>A page request (or stall) of a device bound to a context goes to the FAULT object of the
 *       HWPT it reaches ({@link IommufdContext#routePageRequest}); when none takes it — nothing
 *       attached at its PASID (nor, on SMMUv3, whose PASID table is the guest's, a nested RID
 *       domain), or an HWPT without a fault queue — the request is answered INVALID through the
 *       unit's driver, as {@code iopf_error_response} does when {@code find_fault_handler} finds no
 *       {@code iopf_handler}. That happens for every request, a group's last one or not, as in the
 *       kernel, which checks for a handler before it collects partial groups.</li>
 *   <li>A fault of such a device may become a vEVENT ({@link IommufdContext#routeFault}).</li>
 * </ul>
 * A request the unit could not queue (an empty record: its page request queue was full, so the
 * hardware answered the device itself) never reaches the host driver and is ignored here.
 * Devices bound to no context, or claimed by a VFIO container, are not this router's: their
 * requests are left to whoever owns them (the container's nesting PAGE_RESP, or the platform's
 * direct users). Thread-safe; runs on the reporting thread.
 */
public final class IommufdEventRouter implements UnitEventListener {
    private final IommufdPlatform platform;

    public IommufdEventRouter(IommufdPlatform platform) {
        this.platform = platform;
    }

    @Override
    public void pageRequest(PageRequestEvent event) {
        if (event.record().length == 0) {
            return; // the unit's queue was full: the hardware answered the device, the host never saw it
        }
        if (!(platform.bindings().owner(event.device()) instanceof IommufdContext context)
                || context.options().vfioCompat()) {
            return; // not bound, or a VFIO container's: the session hears of it as a container event
        }
        if (context.routePageRequest(event.device(), event.request())) {
            return;
        }
        IommuUnit unit = platform.registry().runtimeUnit(event.unit()).orElse(null);
        if (unit == null) {
            return;
        }
        PageResponse invalid = new PageResponse(event.request().pasid(), event.request().groupIndex(),
                event.request().stall(), PageResponseCode.INVALID);
        DriverCleanup.run(platform.registry(), unit, "INVALID response to an unhandled page request of "
                + event.device().name(), drv -> drv.pageResponse(unit, platform.registry().requester(event.device()),
                        invalid));
    }

    @Override
    public void fault(FaultEvent event) {
        if (platform.bindings().owner(event.device()) instanceof IommufdContext context
                && !context.options().vfioCompat()) {
            context.routeFault(event);
        }
    }
}
