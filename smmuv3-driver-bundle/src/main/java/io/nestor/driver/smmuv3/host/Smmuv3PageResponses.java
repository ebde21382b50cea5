package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import io.nestor.api.translation.PageResponse;
import java.util.List;

/**
 * Answers a recoverable fault on the command queue (Linux {@code arm_smmu_page_response}; the PRI
 * path of the SVA / IOPF series):
 * <ul>
 * <li>a stalled transaction: CMD_RESUME with its STAG (16 bits), Resp = retry for SUCCESS and abort
 *     for INVALID and FAILURE; needs the stall model (IDR0.STALL_MODEL not terminate-only);</li>
 * <li>a PRI page request: CMD_PRI_RESP with the PRG index (9 bits) and, for a PASID, SSV and SSID;
 *     Resp = success (2) for SUCCESS, deny (0, "Invalid Request" on the wire) for INVALID, fail
 *     (1, "Response Failure") for FAILURE; needs IDR0.PRI and a device with PRI.</li>
 * </ul>
 * Out-of-range values are EINVAL, a response the unit or device cannot carry EOPNOTSUPP, all before
 * anything is issued.
 */
final class Smmuv3PageResponses {

    static void respond(UnitContext unit, DeviceInfo device, PageResponse response) {
        Smmuv3Command command = response.stall() ? resume(unit, device, response) : priResp(unit, device, response);
        Smmuv3DeviceReset.ensureUp(unit);
        Smmuv3CommandSubmission.issueWithSync(unit, List.of(command));
    }

    private static Smmuv3Command resume(UnitContext unit, DeviceInfo device, PageResponse response) {
        if (!Smmuv3UnitCapabilities.stall(unit)) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: no stall model, nothing to resume for %s", unit.name(),
                    device.name());
        }
        if (response.groupIndex() < 0 || response.groupIndex() > 0xFFFF) {
            throw IommuException.of(Errno.EINVAL, "stall tag %d is outside 0..0xffff", response.groupIndex());
        }
        int resp;
        switch (response.code()) {
            case SUCCESS:
                resp = Smmuv3Command.RESUME_RETRY;
                break;
            default:
                resp = Smmuv3Command.RESUME_ABORT;
                break;
        }
        return Smmuv3CommandBuilder.resume(device.sourceId(), response.groupIndex(), resp);
    }

    private static Smmuv3Command priResp(UnitContext unit, DeviceInfo device, PageResponse response) {
        if (!Smmuv3UnitCapabilities.pri(unit) || !device.pri()) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: page responses need PRI on the SMMU and on %s", unit.name(),
                    device.name());
        }
        if (response.groupIndex() < 0 || response.groupIndex() > 0x1FF) {
            throw IommuException.of(Errno.EINVAL, "page request group index %d is outside 0..0x1ff",
                    response.groupIndex());
        }
        int pasid = response.pasid();
        if (pasid < -1 || pasid >= 1 << 20) {
            throw IommuException.of(Errno.EINVAL, "PASID %d is outside -1..0xfffff", pasid);
        }
        int resp;
        switch (response.code()) {
            case SUCCESS:
                resp = Smmuv3Command.PRI_RESP_SUCCESS;
                break;
            case INVALID:
                resp = Smmuv3Command.PRI_RESP_DENY;
                break;
            default:
                resp = Smmuv3Command.PRI_RESP_FAIL;
                break;
        }
        return Smmuv3CommandBuilder.priResp(device.sourceId(), pasid, response.groupIndex(), resp);
    }

    private Smmuv3PageResponses() {
    }
}
