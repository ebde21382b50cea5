package io.nestor.core.service;

import io.nestor.api.dma.DeviceFault;
import io.nestor.api.dma.Dma;
import io.nestor.api.dma.DmaFaultException;
import io.nestor.api.dma.DmaRequest;
import io.nestor.api.dma.DmaResult;
import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.core.dma.DeviceDma;
import io.nestor.core.fault.FaultEvent;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.translate.TranslationResult;
import io.nestor.core.unit.IommuUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * A session's device DMA over the core's {@link DeviceDma}.
 *
 * <p>Ownership: a session issues DMA only from the devices it has bound to one of its iommufd
 * contexts or its VFIO containers hold (the platform's {@code DeviceBindings} names the owner); any other device,
 * unbound or another session's, answers ENOENT as if it did not exist. The faults and page
 * requests of a device go to the session that owns it ({@link EventRouter}).
 *
 * <p>A mediated device's DMA is its parent's with the default PASID: its requests (which carry no
 * PASID of their own; one that does is refused like any PASID beyond the device's) are issued as
 * the parent's, and what they fault is reported as the mediated device's.
 *
 * <p>Every request of a batch is checked (device, PASID, access) before any is translated, so a bad
 * batch has no effect, not even a recorded fault.
 */
final class SessionDma implements Dma {
    private static final int ACCESS_BITS = Access.READ | Access.WRITE | Access.EXEC | Access.PRIV;

    private final CoreSession session;
    private final DeviceDma dma;
    private final DriverRegistry registry;

    SessionDma(CoreSession session, DeviceDma dma, DriverRegistry registry) {
        this.session = session;
        this.dma = dma;
        this.registry = registry;
    }

    /**
     * Whether the session owns {@code device} — bound to one of its iommufd contexts or held by one
     * of its VFIO containers — so that its DMA and its events are the session's.
     */
    boolean drives(DeviceInfo device) {
        return session.owns(device);
    }

    /** The named device, if this session owns it; ENOENT otherwise, as if it did not exist. */
    private DeviceInfo device(String name) {
        DeviceInfo d = registry.topology().device(name).orElse(null);
        if (d == null || !drives(d)) { // unknown, unbound, or another session's: it does not exist for this one
            throw IommuException.of(Errno.ENOENT, "no device '%s' bound in this session", name);
        }
        return d;
    }

    private static void checkPasid(DeviceInfo device, int pasid) {
        if (pasid == DmaRequest.NO_PASID) {
            return;
        }
        if (pasid < 0 || device.pasidBits() == 0 || pasid >= 1 << device.pasidBits()) { // pasidBits is 0..20
            throw IommuException.of(Errno.EINVAL, "PASID %d: device %s supports %d PASID bits", pasid, device.name(),
                    device.pasidBits());
        }
    }

    private static void checkAccess(int access) {
        if (access == 0 || (access & ~ACCESS_BITS) != 0) {
            throw IommuException.of(Errno.EINVAL, "access 0x%x is not a non-empty set of READ 1, WRITE 2, EXEC 4,"
                    + " PRIV 8", access);
        }
    }

    @Override
    public List<DmaResult> translate(List<DmaRequest> requests) {
        session.checkOpen();
        DeviceInfo[] devices = new DeviceInfo[requests.size()];
        DeviceInfo[] requesters = new DeviceInfo[devices.length];
        IommuUnit[] units = new IommuUnit[devices.length];
        for (int i = 0; i < devices.length; i++) {
            DmaRequest r = requests.get(i);
            boolean same = i > 0 && requests.get(i - 1).device().equals(r.device());
            devices[i] = same ? devices[i - 1] : device(r.device());
            requesters[i] = same ? requesters[i - 1] : registry.requester(devices[i]);
            units[i] = same ? units[i - 1] : registry.unitOf(requesters[i]);
            checkPasid(devices[i], r.pasid());
            checkAccess(r.access());
        }
        List<DmaResult> results = new ArrayList<>(devices.length);
        TranslationResult out = new TranslationResult();
        DeviceInfo faulting = null; // the device whose dev_id was looked up last: a batch is mostly one device
        int faultingDevId = 0;
        for (int i = 0; i < devices.length; i++) {
            DmaRequest r = requests.get(i);
            int pasid = requesters[i] == devices[i] ? r.pasid() : registry.requesterPasid(devices[i], r.pasid());
            FaultEvent fault = dma.translate(units[i], requesters[i], pasid, r.iova(), r.access(), out);
            if (fault == null) {
                results.add(DmaResult.translated(out.outputAddress(), 1L << out.pageShift(), access(out.permissions())));
                continue;
            }
            if (devices[i] != faulting) {
                faulting = devices[i];
                faultingDevId = devId(faulting.name());
            }
            results.add(DmaResult.faulted(deviceFault(fault, devices[i], r.pasid(), faultingDevId)));
        }
        return results;
    }

    /** {@link Permission} bits as {@link Access} ({@code IOMMU_PGFAULT_PERM_*}) bits. */
    static int access(int permissions) {
        int a = 0;
        if ((permissions & Permission.READ) != 0) {
            a |= Access.READ;
        }
        if ((permissions & Permission.WRITE) != 0) {
            a |= Access.WRITE;
        }
        if ((permissions & (Permission.EXEC_PRIV | Permission.EXEC_USER)) != 0) {
            a |= Access.EXEC;
        }
        if ((permissions & Permission.PRIV) != 0) {
            a |= Access.PRIV;
        }
        return a;
    }

    /** The fault as this session reports it: with the device's object id in the context that bound it. */
    DeviceFault deviceFault(FaultEvent e) {
        return deviceFault(e, e.device(), e.pasid(), devId(e.device().name()));
    }

    /**
     * A fault as the answer to this session's own request: named after the device and PASID the
     * request named (the platform may attribute a request to someone else: a parent's request with
     * a mediated device's default PASID is that device's).
     */
    private static DeviceFault deviceFault(FaultEvent e, DeviceInfo device, int pasid, int devId) {
        return new DeviceFault(e.unit(), device.name(), pasid, e.fault(), e.record(), e.sequence(), devId);
    }

    /** The device's object id in the session's context that bound it; 0 for a container's device. */
    private int devId(String device) {
        SessionIommufd.DeviceBinding binding = session.iommufd().bindingOf(device);
        return binding == null ? 0 : binding.devId();
    }

    @Override
    public byte[] read(String device, int pasid, long iova, int length) {
        session.checkOpen();
        DeviceInfo d = device(device);
        checkPasid(d, pasid);
        if (length < 0) {
            throw IommuException.of(Errno.EINVAL, "DMA read length %d is negative", length);
        }
        byte[] data = new byte[length];
        try {
            dma.read(registry.requester(d), registry.requesterPasid(d, pasid), iova, data, 0, length);
        } catch (io.nestor.core.dma.DmaFaultException e) {
            throw new DmaFaultException(deviceFault(e.event(), d, pasid, devId(d.name())));
        }
        return data;
    }

    @Override
    public void write(String device, int pasid, long iova, byte[] data) {
        session.checkOpen();
        DeviceInfo d = device(device);
        checkPasid(d, pasid);
        try {
            dma.write(registry.requester(d), registry.requesterPasid(d, pasid), iova, data, 0, data.length);
        } catch (io.nestor.core.dma.DmaFaultException e) {
            throw new DmaFaultException(deviceFault(e.event(), d, pasid, devId(d.name())));
        }
    }

    @Override
    public PageResponseCode pageRequest(String device, int pasid, long address, int access, int groupIndex,
            boolean lastPage, long timeoutMillis) {
        session.checkOpen();
        DeviceInfo d = device(device);
        checkPasid(d, pasid);
        checkAccess(access);
        if (groupIndex < 0 || groupIndex > PageRequest.MAX_GROUP_INDEX) {
            throw IommuException.of(Errno.EINVAL, "page request group index %d outside 0..%d",
                    Integer.toUnsignedLong(groupIndex),
                    PageRequest.MAX_GROUP_INDEX);
        }
        if ((address & 0xfff) != 0) {
            throw IommuException.of(Errno.EINVAL, "page request address 0x%x is not page aligned", address);
        }
        if (timeoutMillis <= 0) {
            throw IommuException.of(Errno.EINVAL, "page request timeout %d ms is not positive", timeoutMillis);
        }
        DeviceInfo requester = registry.requester(d);
        PageRequest request = new PageRequest(requester.sourceId(), registry.requesterPasid(d, pasid), address, access,
                groupIndex, lastPage, false, 0);
        return dma.pageRequest(requester, request, timeoutMillis).code();
    }
}
