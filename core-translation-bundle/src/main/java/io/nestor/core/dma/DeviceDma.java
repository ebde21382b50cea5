package io.nestor.core.dma;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.core.fault.FaultEvent;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.translate.TranslationResult;
import io.nestor.core.unit.DriverLease;
import io.nestor.core.unit.IommuUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * DMA as a device issues it: each request translated by the device's unit (IOTLB, configuration
 * from memory, nested walk), a fault reported through the unit's hardware (its fault log or event
 * queue) and upward, data moved page by page through the translation, and page requests answered
 * by the unit's page group responses. A read or write whose fault the hardware stalls on (the
 * SMMUv3 stall model) is raised as a stalled transaction and waits for its resume.
 *
 * <p>Thread-safe; a {@link TranslationResult} is caller-owned (one per translating thread).
 */
public final class DeviceDma {

    /** Times a transaction is retried after a resume before it is terminated (a livelock bound). */
    static final int MAX_STALL_RETRIES = 16;
    /** How long a stalled transaction waits for its resume by default. */
    public static final long DEFAULT_STALL_TIMEOUT_MILLIS = 30_000;

    private final DriverRegistry registry;
    private final PageResponseWaiters waiters = new PageResponseWaiters();
    private final long stallTimeoutMillis;

    public DeviceDma(DriverRegistry registry) {
        this(registry, DEFAULT_STALL_TIMEOUT_MILLIS);
    }

    /** @param stallTimeoutMillis how long a stalled transaction waits for its resume */
    public DeviceDma(DriverRegistry registry, long stallTimeoutMillis) {
        this.registry = registry;
        this.stallTimeoutMillis = stallTimeoutMillis;
        registry.addPageResponseListener(waiters);
    }

    /** Stops listening for page responses; waiting requests time out. */
    public void close() {
        registry.removePageResponseListener(waiters);
    }

    /**
     * Translates one request. On a fault the unit records it and the fault is reported upward.
     *
     * @param pasid the request's PASID, or -1
     * @return {@code null} when {@code out} holds a translation, else the reported fault
     */
    public FaultEvent translate(DeviceInfo device, int pasid, long iova, int access, TranslationResult out) {
        return translate(registry.unitOf(device), device, pasid, iova, access, out);
    }

    /**
     * {@link #translate(DeviceInfo, int, long, int, TranslationResult)} for a caller that already
     * resolved the device's unit ({@link DriverRegistry#unitOf}), as a batch of one device's
     * requests does once.
     */
    public FaultEvent translate(IommuUnit unit, DeviceInfo device, int pasid, long iova, int access,
            TranslationResult out) {
        if (registry.engine().translate(unit.index(), device.sourceId(), pasid, iova, access, out)) {
            return null;
        }
        return registry.faults().fault(unit, device, pasid, out.fault());
    }

    /** Reads {@code length} bytes at {@code iova} of the device's address space into {@code dst}. */
    public void read(DeviceInfo device, int pasid, long iova, byte[] dst, int offset, int length) {
        move(device, pasid, iova, dst, offset, length, false);
    }

    /** Writes {@code length} bytes from {@code src} at {@code iova} of the device's address space. */
    public void write(DeviceInfo device, int pasid, long iova, byte[] src, int offset, int length) {
        move(device, pasid, iova, src, offset, length, true);
    }

    private void move(DeviceInfo device, int pasid, long iova, byte[] buffer, int offset, int length, boolean write) {
        if (offset < 0 || length < 0 || length > buffer.length - offset) {
            throw IommuException.of(Errno.EINVAL, "buffer range %d + %d outside %d bytes", offset, length,
                    buffer.length);
        }
        if (length > 0 && Long.compareUnsigned(iova + length - 1, iova) < 0) {
            throw IommuException.of(Errno.EINVAL, "DMA of %d bytes at 0x%x wraps past 2^64", length, iova);
        }
        PhysicalMemory memory = registry.memory();
        TranslationResult r = new TranslationResult();
        int done = 0;
        IommuUnit unit = registry.unitOf(device);
        int access = write ? Access.WRITE : Access.READ;
        while (done < length) {
            long address = iova + done;
            translateOrStall(unit, device, pasid, address, access, r);
            long pageEnd = (address | ((1L << r.pageShift()) - 1)) + 1;
            int chunk = (int) Math.min(length - done, pageEnd == 0 ? Long.MAX_VALUE : pageEnd - address);
            if (write) {
                memory.write(r.outputAddress(), buffer, offset + done, chunk);
            } else {
                memory.read(r.outputAddress(), buffer, offset + done, chunk);
            }
            done += chunk;
        }
    }

    /**
     * Translates one transaction of a read or write. A fault the hardware stalls on (SMMUv3 stall
     * model) waits for its resume: retried on success, terminated otherwise.
     *
     * @throws DmaFaultException when the transaction faults (or its stall is terminated)
     */
    private void translateOrStall(IommuUnit unit, DeviceInfo device, int pasid, long address, int access,
            TranslationResult r) {
        for (int attempt = 0; ; attempt++) {
            if (registry.engine().translate(unit.index(), device.sourceId(), pasid, address, access, r)) {
                return;
            }
            Fault fault = r.fault();
            if (attempt >= MAX_STALL_RETRIES || !stalls(unit, device, pasid, fault)) {
                throw new DmaFaultException(registry.faults().fault(unit, device, pasid, fault));
            }
            int stag = unit.allocateId("stag", 0, PageRequest.MAX_STALL_TAG);
            PageResponse resume;
            try {
                resume = pageRequest(device, new PageRequest(device.sourceId(), pasid, address, access, stag, true,
                        true, 0), stallTimeoutMillis);
            } finally {
                unit.freeId("stag", stag);
            }
            if (resume.code() != PageResponseCode.SUCCESS) {
                throw new DmaFaultException(registry.faults().terminatedStall(unit, device, pasid, fault));
            }
        }
    }

    private static boolean stalls(IommuUnit unit, DeviceInfo device, int pasid, Fault fault) {
        try (DriverLease lease = unit.enterDriver(0)) {
            return lease.driver().stallsOnFault(unit, device, pasid, fault);
        } catch (IommuException e) {
            if (e.errno() == Errno.EAGAIN) {
                return false; // no hardware to stall in: the transaction is terminated
            }
            throw e;
        }
    }

    /**
     * A recoverable fault from the device — a PRI page request, or a stall — and the wait for its
     * answer: the unit queues the request (or answers at once when it cannot), the owner of the
     * device's fault queue responds, and the unit's response reaches the device.
     *
     * @throws IommuException ETIMEDOUT when no answer came within {@code timeoutMillis}
     */
    public PageResponse pageRequest(DeviceInfo device, PageRequest request, long timeoutMillis) {
        if (request.sourceId() != device.sourceId()) {
            throw IommuException.of(Errno.EINVAL, "page request source 0x%x is not device %s (0x%x)",
                    request.sourceId(), device.name(), device.sourceId());
        }
        if (!request.stall() && !device.pri()) {
            throw IommuException.of(Errno.EOPNOTSUPP, "device %s has no PRI capability", device.name());
        }
        IommuUnit unit = registry.unitOf(device);
        CompletableFuture<PageResponse> answer = waiters.expect(unit.name(), request);
        try {
            registry.faults().pageRequest(unit, device, request);
            return answer.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw IommuException.of(Errno.ETIMEDOUT, "no response to %s 0x%x of %s within %d ms",
                    request.stall() ? "stall tag" : "page request group", request.groupIndex(), device.name(),
                    timeoutMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw IommuException.of(Errno.EINTR, "interrupted waiting for a page response for %s", device.name());
        } catch (ExecutionException e) {
            throw new IllegalStateException("page response future failed", e.getCause());
        } finally {
            waiters.cancel(unit.name(), request, answer);
        }
    }

    /** Page requests waiting for their answer. */
    public int outstandingPageRequests() {
        return waiters.outstanding();
    }
}
