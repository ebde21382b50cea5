package io.nestor.api.platform;

import java.util.Objects;

/**
 * An IOMMU-backed mediated device: a device of its own for its users (its own name, binding and
 * DMA ownership) whose DMA is its parent's, tagged with one PASID of the parent — the
 * <em>default PASID</em>. Attaching the mediated device attaches that PASID of the parent; its
 * requests without PASID are the parent's requests with the default PASID (the "IOMMU-backed
 * mdev" of the kernel's aux-domain design, and the default PASID of Intel Scalable IOV).
 *
 * <p>The mediated device has no PASID capability of its own: only its default PASID is reachable
 * through it. The default PASID comes out of the platform's system-wide PASID space, so no PASID
 * allocation hands it to anyone else.
 *
 * @param name the device's topology name (mdevs are usually named by a UUID)
 * @param parent the topology name of the physical device it is carved out of
 * @param defaultPasid the parent's PASID its DMA carries, at least 1
 */
public record MediatedDevice(String name, String parent, int defaultPasid) {
    public MediatedDevice {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(parent, "parent");
        if (defaultPasid <= 0) {
            throw new IllegalArgumentException("mediated device " + name + ": default PASID " + defaultPasid
                    + " is not a PASID (1 or more)");
        }
    }
}
