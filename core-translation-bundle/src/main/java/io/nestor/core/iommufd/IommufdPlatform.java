package io.nestor.core.iommufd;

import io.nestor.core.memory.PageAllocator;
import io.nestor.core.platform.DriverRegistry;
import java.util.Objects;

/**
 * What a context needs from the platform to reach devices and drivers: the registry (units, their
 * drivers, the topology's devices, the engine's caches), the device ownership shared by all
 * contexts, and the page allocator the core builds paging-domain tables from (below the root the
 * driver allocates). The tables must lie in the registry's memory.
 */
public record IommufdPlatform(DriverRegistry registry, DeviceBindings bindings, PageAllocator tablePages) {

    public IommufdPlatform {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(bindings, "bindings");
        Objects.requireNonNull(tablePages, "tablePages");
        if (tablePages.memory() != registry.memory()) {
            throw new IllegalArgumentException("table pages must lie in the registry's memory");
        }
    }

    /** Tables from the registry's structure window, where the drivers' roots come from too. */
    public static IommufdPlatform of(DriverRegistry registry, DeviceBindings bindings) {
        return new IommufdPlatform(registry, bindings, registry.structurePages());
    }
}
