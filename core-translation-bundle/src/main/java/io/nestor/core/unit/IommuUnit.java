package io.nestor.core.unit;

import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.StageConfig;
import io.nestor.core.memory.PageAllocator;
import io.nestor.core.topology.UnitSpec;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One IOMMU unit at run time: its spec, its register file and the driver currently bound to it.
 * This is the {@link UnitContext} handed to the driver on every call, so everything a driver could
 * want to remember lives here, not in the driver.
 *
 * <p>Invariants: the register file and memory outlive every driver. {@link #bind} and
 * {@link #unbind} are called only by the platform under its binding lock; the power-on reset runs
 * once, on the first bind, so a rebound driver — the same version or a newer one — finds the
 * registers as its predecessor left them. The bound driver is published as a {@link DriverLease}
 * in a volatile field, so callers enter it without a lock; a bind or unbind drains the calls in
 * the lease it replaces before returning, so a departing driver bundle is not stopped under a
 * running call. Callers that find no driver wait for the next bind (on {@code bindingChanged})
 * up to their timeout. Id spaces and the register lock live here for the same reason as the
 * registers: they are the unit's, not the driver's.
 */
public final class IommuUnit implements UnitContext {

    private final UnitSpec spec;
    private final int index;
    private final PhysicalMemory memory;
    private final UnitRegisterFile registers = new UnitRegisterFile();
    /** How long an unbind waits for calls in progress into the departing driver. */
    public static final long DRAIN_MILLIS = 30_000;

    private final UnitHost host;
    private final UnitIdSpaces ids = new UnitIdSpaces();
    private final ReentrantLock registerLock = new ReentrantLock();

    /** The current lease, or null while no driver is bound; replaced (never reopened) on each bind. */
    private volatile DriverLease lease;
    private final Object bindingChanged = new Object();
    private volatile HwInfo lastHwInfo;
    private boolean reset;

    /**
     * @param index the unit's position in the topology: its id in the translation caches' tags
     */
    public IommuUnit(UnitSpec spec, int index, PhysicalMemory memory, UnitHost host) {
        this.spec = spec;
        this.index = index;
        this.memory = memory;
        this.host = host;
    }

    /** The unit's id in cache tags: its position in the topology. */
    @Override
    public int index() {
        return index;
    }

    @Override
    public String name() {
        return spec.name();
    }

    @Override
    public String kind() {
        return spec.kind();
    }

    @Override
    public UnitFeatures features() {
        return spec.features();
    }

    @Override
    public RegisterFile registers() {
        return registers;
    }

    @Override
    public PhysicalMemory memory() {
        return memory;
    }

    public UnitSpec spec() {
        return spec;
    }

    /** The current binding, or {@code null} while no driver of the unit's kind is present. */
    public DriverBinding binding() {
        DriverLease l = lease;
        return l == null ? null : l.binding();
    }

    /**
     * Enters a call into the unit's driver, waiting up to {@code timeoutMillis} for one to be bound
     * (a swap in progress). Use with try-with-resources: until the lease is closed, its driver's
     * departure waits for this call.
     *
     * @return the lease, whose driver the caller may use until it closes it
     * @throws IommuException EAGAIN naming the unit when no driver came in time
     */
    public DriverLease enterDriver(long timeoutMillis) {
        DriverLease l = lease;
        if (l != null && l.enter()) {
            return l;
        }
        long deadline = System.nanoTime() + Math.max(0, timeoutMillis) * 1_000_000L;
        synchronized (bindingChanged) {
            while (true) {
                l = lease;
                if (l != null && l.enter()) {
                    return l;
                }
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    throw IommuException.of(Errno.EAGAIN, "unit %s has no %s driver bound%s", name(), kind(),
                            timeoutMillis > 0 ? " (waited " + timeoutMillis + " ms)" : "");
                }
                try {
                    bindingChanged.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw IommuException.of(Errno.EINTR, "interrupted waiting for a driver of unit %s", name());
                }
            }
        }
    }

    /** Calls in progress into the bound driver. */
    public int driverCallsInProgress() {
        DriverLease l = lease;
        return l == null ? 0 : l.callsInProgress();
    }

    /**
     * The unit's hw_info as its driver last read it from the registers; kept while no driver is
     * bound because the registers, not the driver, hold it. {@code null} before the first bind.
     */
    public HwInfo hwInfo() {
        return lastHwInfo;
    }

    /**
     * Binds a driver: resets the unit the first time only, then reads hw_info through it. If the
     * driver throws, the unit stays unbound and the exception propagates.
     */
    public void bind(DriverBinding newBinding) {
        bind(newBinding, DRAIN_MILLIS);
    }

    /**
     * Binds a driver as {@link #bind(DriverBinding)} does, then drains the calls still in the one it
     * replaced, for up to {@code drainMillis}.
     *
     * @return calls of the replaced driver still running when the drain gave up (0 normally)
     */
    public int bind(DriverBinding newBinding, long drainMillis) {
        IommuDriver driver = newBinding.driver();
        if (!reset) {
            driver.reset(this);
            reset = true;
        }
        lastHwInfo = driver.hwInfo(this);
        DriverLease previous = lease;
        synchronized (bindingChanged) {
            lease = new DriverLease(newBinding);
            bindingChanged.notifyAll();
        }
        return previous == null ? 0 : previous.closeAndDrain(drainMillis);
    }

    /** Unbinds the driver: new calls wait for the next one; calls in progress drain first. */
    public int unbind() {
        DriverLease previous;
        synchronized (bindingChanged) {
            previous = lease;
            lease = null;
        }
        return previous == null ? 0 : previous.closeAndDrain(DRAIN_MILLIS);
    }

    @Override
    public int invalidate(InvalidationScope scope) {
        if (scope instanceof InvalidationScope.All) {
            throw IommuException.of(Errno.EINVAL, "unit %s may not invalidate every unit's caches", name());
        }
        int named = scope.unit();
        if (named != index) {
            throw IommuException.of(Errno.EINVAL, "unit %s (index %d) may not invalidate unit index %d", name(),
                    index, named);
        }
        return host.invalidate(scope);
    }

    @Override
    public long allocatePages(int count) {
        return host.structurePages().allocateContiguous(count);
    }

    @Override
    public void freePages(long address, int count) {
        if (count <= 0 || Integer.bitCount(count) != 1) {
            throw IommuException.of(Errno.EINVAL, "page count %d is not a power of two", count);
        }
        PageAllocator pages = host.structurePages();
        long granule = 1L << pages.granuleShift();
        for (int i = 0; i < count; i++) {
            if (!pages.isLive(address + i * granule)) {
                throw IommuException.of(Errno.EINVAL, "page 0x%x of the %d at 0x%x is not live",
                        address + i * granule, count, address);
            }
        }
        for (int i = 0; i < count; i++) {
            pages.free(address + i * granule);
        }
    }

    @Override
    public int allocateId(String space, int min, int max) {
        return ids.allocate(space, min, max);
    }

    @Override
    public void freeId(String space, int id) {
        ids.free(space, id);
    }

    /** How many ids of {@code space} are taken (for tests and the shell). */
    public int allocatedIds(String space) {
        return ids.allocated(space);
    }

    @Override
    public Lock registerLock() {
        return registerLock;
    }

    @Override
    public long translateStage2(StageConfig stage2, int domainTag, long ipa, int access) throws FaultException {
        return host.translateStage2(index, stage2, domainTag, ipa, access);
    }

    @Override
    public void completePageRequest(int sourceId, PageResponse response) {
        host.completePageRequest(this, sourceId, response);
    }
}
