package io.nestor.api.platform;

import io.nestor.api.driver.DeviceInfo;
import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The platform topology and its live state, registered by the core as an OSGi service.
 * Every method returns a snapshot; nothing returned is mutated afterwards. Implemented by the core
 * only (a provider type): methods may be added in minor versions.
 */
@ProviderType
public interface Platform {

    /** Every unit in topology order. */
    List<UnitStatus> units();

    /** One unit by name. */
    Optional<UnitStatus> unit(String name);

    /** Every device in topology order. */
    List<DeviceInfo> devices();

    /**
     * The devices of {@link #devices()} that are IOMMU-backed mediated devices, with their parent
     * and default PASID (since 1.2).
     */
    default List<MediatedDevice> mediatedDevices() {
        return List.of();
    }

    /** Every registered driver service, bound or not. */
    List<DriverStatus> drivers();

    /** The platform's counters (since 1.1). */
    PlatformStatistics statistics();

    /**
     * Registers a listener that is called after any unit changes state (a driver bound or left)
     * and after the topology is replaced. Listeners run on the thread that made the change and
     * must return quickly.
     */
    void addListener(PlatformListener listener);

    void removeListener(PlatformListener listener);
}
