package io.nestor.driver.vtd.host;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.PageResponse;
import io.nestor.driver.vtd.hw.VtdPasidEntry;
import java.util.List;

/**
 * Answers a page request with a page group response descriptor (type 9) on the invalidation queue,
 * as Linux {@code intel_iommu_page_response()} (drivers/iommu/intel/prq.c): RID of the device,
 * PASID and PASID-present when the group carried one, the response code, the PRG index. LPIG (bit 2
 * of the second qword) stays clear: reserved since VT-d 4.0 (hw-formats 1.7).
 *
 * <p>Checks: a unit without page requests (ECAP.PRS), EOPNOTSUPP; a stall response (VT-d has none),
 * a group index beyond 9 bits or a PASID beyond 20 bits, EINVAL.
 */
public final class VtdPageResponder {

    public static void respond(UnitContext unit, DeviceInfo device, PageResponse response) {
        VtdDomainAttach.checkSourceId(unit, device);
        VtdUnitCapabilities caps = VtdUnitCapabilities.read(unit);
        if (!caps.pageRequests()) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: no page request support (ECAP.PRS)", unit.name());
        }
        if (response.stall()) {
            throw IommuException.of(Errno.EINVAL, "%s: VT-d has no stall model; cannot resume stall tag %d",
                    unit.name(), response.groupIndex());
        }
        if (response.groupIndex() < 0 || response.groupIndex() > 0x1FF) {
            throw IommuException.of(Errno.EINVAL, "%s: page request group index %d outside 0..511", unit.name(),
                    response.groupIndex());
        }
        if (response.pasid() < -1 || response.pasid() > VtdPasidEntry.MAX_PASID) {
            throw IommuException.of(Errno.EINVAL, "%s: PASID %d outside 0..%d", unit.name(), response.pasid(),
                    VtdPasidEntry.MAX_PASID);
        }
        VtdUnitBringUp.ensure(unit);
        boolean pasidPresent = response.pasid() >= 0;
        VtdQueuedInvalidation.submitSync(unit, List.of(VtdQiDescriptor.pageGroupResponse(device.sourceId(),
                pasidPresent ? response.pasid() : 0, pasidPresent, response.code().pciCode(), response.groupIndex())));
    }

    private VtdPageResponder() {
    }
}
