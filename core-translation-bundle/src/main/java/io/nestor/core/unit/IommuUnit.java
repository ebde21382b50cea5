package io.nestor.core.unit;

import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.core.topology.UnitSpec;

/**
 * One IOMMU unit at run time: its spec, its register file and the driver currently bound to it.
 * This is the {@link UnitContext} handed to the driver on every call, so everything a driver could
 * want to remember lives here, not in the driver.
 *
 * <p>Invariants: the register file and memory outlive every driver. {@link #bind} and
 * {@link #unbind} are called only by the platform under its binding lock; the power-on reset runs
 * once, on the first bind, so a rebound driver — the same version or a newer one — finds the
 * registers as its predecessor left them. The bound driver is published through a volatile field
 * so the translation path can read it without a lock.
 */
public final class IommuUnit implements UnitContext {

    private final UnitSpec spec;
    private final int index;
    private final PhysicalMemory memory;
    private final UnitRegisterFile registers = new UnitRegisterFile();

    private volatile DriverBinding binding;
    private volatile HwInfo lastHwInfo;
    private boolean reset;

    /**
     * @param index the unit's position in the topology: its id in the translation caches' tags
     */
    public IommuUnit(UnitSpec spec, int index, PhysicalMemory memory) {
        this.spec = spec;
        this.index = index;
        this.memory = memory;
    }

    /** The unit's id in cache tags: its position in the topology. */
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
}
