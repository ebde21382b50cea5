package io.nestor.api.driver;

import io.nestor.api.memory.PhysicalMemory;

/**
 * What the core hands a driver on every call: one unit's identity, configured features and state.
 * The driver reads and writes the state through it and keeps none of it.
 */
public interface UnitContext {

    /** The unit's name in the topology, for example {@code dmar0}. */
    String name();

    /** The driver kind this unit needs. */
    String kind();

    /** The features the unit was configured with. */
    UnitFeatures features();

    /** The unit's register file (MMIO space), owned by the core. */
    RegisterFile registers();

    /** Host physical memory, where the unit's tables and queues live. */
    PhysicalMemory memory();
}
