package io.nestor.core.iommufd;

import io.nestor.api.driver.IommuDriver;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.unit.DriverLease;
import io.nestor.core.unit.IommuUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One call into a unit's bound driver through a {@link DriverLease}, so a hot swap drains it
 * before the departing driver stops: {@code try (lease) { driver.op(unit, ...) }}. A unit without a
 * driver makes the caller wait up to the registry's driver wait, then answers EAGAIN.
 */
public final class UnitDriver {
    private UnitDriver() {
    }

    public static <T> T call(DriverRegistry registry, IommuUnit unit, Function<IommuDriver, T> op) {
        try (DriverLease lease = unit.enterDriver(registry.driverWaitMillis())) {
            return op.apply(lease.driver());
        }
    }

    public static void run(DriverRegistry registry, IommuUnit unit, Consumer<IommuDriver> op) {
        try (DriverLease lease = unit.enterDriver(registry.driverWaitMillis())) {
            op.accept(lease.driver());
        }
    }
}
