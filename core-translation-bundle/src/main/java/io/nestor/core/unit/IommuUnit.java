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
 * registers as its predecessor left them. The bound driver is published through a volatile field
 * so the translation path can read it without a lock. Id spaces and the register lock live here
 * for the same reason: they are the unit's, not the driver's.
 */
public final class IommuUnit implements UnitContext {

    private final UnitSpec spec;
    private final int index;
    private final PhysicalMemory memory;
    private final UnitRegisterFile registers = new UnitRegisterFile();
    private final UnitHost host;
    private final UnitIdSpaces ids = new UnitIdSpaces();
    private final ReentrantLock registerLock = new ReentrantLock();

    private volatile DriverBinding binding;
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
        return binding;
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
        IommuDriver driver = newBinding.driver();
        if (!reset) {
            driver.reset(this);
            reset = true;
        }
        lastHwInfo = driver.hwInfo(this);
        binding = newBinding;
    }

    public void unbind() {
        binding = null;
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
