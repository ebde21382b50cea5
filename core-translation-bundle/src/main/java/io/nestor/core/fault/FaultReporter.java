package io.nestor.core.fault;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.PageRequest;
import io.nestor.core.topology.Topology;
import io.nestor.core.unit.DriverLease;
import io.nestor.core.unit.IommuUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The upward path of faults and page requests: has the unit's hardware (its bound driver) record
 * them in their vendor format — the VT-d fault log or page request queue, the SMMUv3 event or PRI
 * queue — then keeps the recent faults per unit and tells the listeners (event streams, iommufd
 * fault queues, vEVENTQs).
 *
 * <p>A unit without a driver still reports the fault upward, with an empty record: the request
 * faulted whatever the hardware's log says. A driver that cannot record (EOPNOTSUPP) is treated
 * the same way. Thread-safe; listeners are called on the reporting thread.
 *
 * <p>The hardware sees requesters (a physical device and a PASID); the events name who issued the
 * request: a request of a parent device with a mediated device's default PASID is that mediated
 * device's request (without PASID), so that it reaches the mediated device's owner.
 */
public final class FaultReporter {

    /** Faults kept per unit for {@link #recent}. */
    public static final int RECENT_CAPACITY = 256;

    private final Map<String, RecentFaults> recent = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> faultSequence = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> requestSequence = new ConcurrentHashMap<>();
    private final List<UnitEventListener> listeners = new CopyOnWriteArrayList<>();
    private final Supplier<Topology> topology;

    /** A reporter for a platform without mediated devices. */
    public FaultReporter() {
        this(() -> null);
    }

    /** @param topology the current topology, whose mediated devices the events name */
    public FaultReporter(Supplier<Topology> topology) {
        this.topology = topology;
    }

    private DeviceInfo issuer(DeviceInfo device, int pasid) {
        Topology t = topology.get();
        return t == null ? device : t.issuer(device, pasid);
    }

    public void addListener(UnitEventListener listener) {
        listeners.add(listener);
    }

    public void removeListener(UnitEventListener listener) {
        listeners.remove(listener);
    }

    /** Records and reports a fault of {@code device}'s request. */
    public FaultEvent fault(IommuUnit unit, DeviceInfo device, int pasid, Fault fault) {
        return report(unit, device, pasid, fault, true);
    }

    /**
     * Reports a stalled transaction that was terminated (its resume said abort, or no resume came):
     * the hardware recorded it once already, as the stall event, so nothing is recorded again.
     */
    public FaultEvent terminatedStall(IommuUnit unit, DeviceInfo device, int pasid, Fault fault) {
        return report(unit, device, pasid, fault, false);
    }

    private FaultEvent report(IommuUnit unit, DeviceInfo device, int pasid, Fault fault, boolean recordIt) {
        byte[] record = new byte[0];
        if (recordIt && unit.binding() != null) {
            try (DriverLease lease = unit.enterDriver(0)) {
                record = recordOrEmpty(() -> lease.driver().recordFault(unit, device, pasid, fault));
            } catch (IommuException e) {
                if (e.errno() != Errno.EAGAIN) {
                    throw e;
                }
                // the driver left between the check and the call: report with no record
            }
        }
        DeviceInfo issuer = issuer(device, pasid);
        FaultEvent event = new FaultEvent(next(faultSequence, unit.name()), unit.name(), issuer,
                issuer == device ? pasid : DeviceInfo.NO_PASID, fault, record);
        recent.computeIfAbsent(unit.name(), n -> new RecentFaults(RECENT_CAPACITY)).add(event);
        for (UnitEventListener l : listeners) {
            l.fault(event);
        }
        return event;
    }

    /** Records and reports a page request (or stall) of {@code device}. */
    public PageRequestEvent pageRequest(IommuUnit unit, DeviceInfo device, PageRequest request) {
        byte[] record;
        try (DriverLease lease = unit.enterDriver(0)) {
            record = lease.driver().recordPageRequest(unit, device, request);
        }
        PageRequestEvent event = new PageRequestEvent(next(requestSequence, unit.name()), unit.name(),
                issuer(device, request.pasid()), request, record);
        for (UnitEventListener l : listeners) {
            l.pageRequest(event);
        }
        return event;
    }

    /** Up to {@code limit} recent faults of the unit, newest first. */
    public List<FaultEvent> recent(String unit, int limit) {
        RecentFaults r = recent.get(unit);
        return r == null ? List.of() : r.newest(limit);
    }

    /** Faults the unit reported since the platform started. */
    public long count(String unit) {
        AtomicLong n = faultSequence.get(unit);
        return n == null ? 0 : n.get();
    }

    /** Faults of the unit that no longer fit the recent list. */
    public long overwritten(String unit) {
        RecentFaults r = recent.get(unit);
        return r == null ? 0 : r.overwritten();
    }

    private static long next(Map<String, AtomicLong> sequences, String unit) {
        return sequences.computeIfAbsent(unit, n -> new AtomicLong()).incrementAndGet();
    }

    private interface Recorder {
        byte[] record();
    }

    private static byte[] recordOrEmpty(Recorder recorder) {
        try {
            byte[] r = recorder.record();
            return r == null ? new byte[0] : r;
        } catch (IommuException e) {
            if (e.errno() == Errno.EOPNOTSUPP) {
                return new byte[0];
            }
            throw e;
        }
    }
}
