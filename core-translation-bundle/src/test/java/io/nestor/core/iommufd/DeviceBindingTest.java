package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.DeviceFixture.ARM;
import static io.nestor.core.iommufd.DeviceFixture.NIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import org.junit.jupiter.api.Test;

/** DEVICE objects: one context per device, released on destroy and on close. */
class DeviceBindingTest {
    private final DeviceFixture f = new DeviceFixture();

    @Test
    void aDeviceBindsToOneContextOnly() {
        int id = f.bind(NIC);
        assertEquals(1, id);
        assertSame(f.context, f.bindings.owner(f.device(NIC)));
        IommufdContext other = f.otherContext();
        f.failsUnchanged(Errno.EBUSY, () -> other.devices().bind(NIC));
        f.failsUnchanged(Errno.EINVAL, () -> f.context.devices().bind(NIC));
        assertEquals(1, other.devices().bind(ARM), "another device is free for the other context");
        f.failsUnchanged(Errno.ENODEV, () -> f.context.devices().bind("0000:7f:00.0"));
        assertEquals(2, f.bindings.boundCount());
    }

    @Test
    void unbindAndCloseReleaseTheDeviceWhichDestroyRefuses() {
        int id = f.bind(NIC);
        f.failsUnchanged(Errno.EBUSY, () -> f.context.destroy(id)); // the binding holds it, as in the kernel
        f.context.devices().unbind(id);
        f.failsUnchanged(Errno.ENOENT, () -> f.context.devices().unbind(id));
        assertNull(f.bindings.owner(f.device(NIC)));
        IommufdContext other = f.otherContext();
        int otherId = other.devices().bind(NIC);
        IommuException e = assertThrows(IommuException.class, () -> f.context.devices().bind(NIC));
        assertEquals(Errno.EBUSY, e.errno());
        other.close();
        assertNull(f.bindings.owner(f.device(NIC)));
        assertEquals(1, f.context.devices().bind(NIC), "free again after the other context closed");
        assertEquals(1, otherId);
    }

    @Test
    void unbindChecksTheKindAndAContextWithoutPlatformHasNoDevices() {
        int ioas = f.ioas();
        f.failsUnchanged(Errno.ENOENT, () -> f.context.devices().unbind(ioas));
        IommufdContext bare = new IommufdContext(ContextOptions.defaults(), f.regions);
        IommuException e = assertThrows(IommuException.class, () -> bare.devices().bind(NIC));
        assertEquals(Errno.ENODEV, e.errno());
    }
}
