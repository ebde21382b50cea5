package io.nestor.gateway.grpc.events;

import io.nestor.api.event.DevicePageRequest;
import io.nestor.api.translation.PageRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code struct iommu_hwpt_pgfault} ({@code include/uapi/linux/iommufd.h}), 40 bytes little-endian:
 * {@code flags, dev_id, pasid, grpid, perm, __reserved} as u32, {@code addr} u64, {@code length}
 * and {@code cookie} u32 — what a VMM reads from a fault queue's fd.
 *
 * <p>This encoding serves page requests of devices the session drives without having bound them to
 * one of its iommufd contexts: {@code dev_id} and {@code cookie} are 0, as no device object or
 * fault queue stands behind them. A bound device's requests go through its HWPT's fault queue and
 * arrive with the queue's own records (real {@code dev_id}, {@code cookie}, {@code fault_id}).
 * {@code length} is the kernel's hint, 0.
 */
final class PgfaultRecord {
    static final int SIZE = 40;
    static final int FLAGS_PASID_VALID = 1;
    static final int FLAGS_LAST_PAGE = 1 << 1;

    private PgfaultRecord() {
    }

    static byte[] encode(DevicePageRequest event) {
        PageRequest r = event.request();
        int flags = (r.pasid() >= 0 ? FLAGS_PASID_VALID : 0) | (r.lastInGroup() ? FLAGS_LAST_PAGE : 0);
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(flags);
        b.putInt(0); // dev_id
        b.putInt(r.pasid() >= 0 ? r.pasid() : 0);
        b.putInt(r.groupIndex());
        b.putInt(r.access()); // Access bits are IOMMU_PGFAULT_PERM_* bits
        b.putInt(0); // __reserved
        b.putLong(r.address());
        b.putInt(0); // length
        b.putInt(0); // cookie
        return b.array();
    }
}
