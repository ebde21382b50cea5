package io.nestor.core.iommufd;

import io.nestor.api.driver.ViommuDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.ArrayList;
import java.util.List;

/**
 * IOMMU_FAULT_QUEUE_ALLOC and IOMMU_VEVENTQ_ALLOC ({@code eventq.c}), and what the objects' file
 * descriptors do: read() and write() of a FAULT object, read() of a VEVENTQ.
 *
 * <p>FAULT_QUEUE_ALLOC: {@code flags} → EOPNOTSUPP. The object needs no device; HWPTs name it
 * with {@code IOMMU_HWPT_FAULT_ID_VALID}.
 *
 * <p>VEVENTQ_ALLOC, in the kernel's order: {@code flags}, {@code __reserved} or type DEFAULT →
 * EOPNOTSUPP; {@code veventq_depth} 0 → EINVAL; {@code viommu_id} not a vIOMMU → ENOENT; a type
 * the vIOMMU's driver does not report ({@code supports_veventq}: an SMMUv3 vIOMMU reports
 * {@code IOMMU_VEVENTQ_TYPE_ARM_SMMUV3} only) → EOPNOTSUPP; a queue of that type already on the
 * vIOMMU → EEXIST. A failure changes nothing.
 */
public final class EventQueueCommands {
    private final IommufdContext context;

    EventQueueCommands(IommufdContext context) {
        this.context = context;
    }

    /** @return {@code out_fault_id} */
    public int faultQueueAlloc(int flags) {
        if (flags != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "FAULT_QUEUE_ALLOC flags 0x%x", flags);
        }
        ObjectTable table = context.objects();
        FaultQueueObject f = new FaultQueueObject(context);
        table.reserve(f);
        table.publish(f);
        return f.id();
    }

    /**
     * write() of {@code struct iommu_hwpt_page_response} records to the FAULT object's fd.
     *
     * @return the bytes consumed
     * @throws IommuException ENOENT for a bad {@code faultId}; ESPIPE / EINVAL as
     *     {@link PageFaultQueue#respond}
     */
    public int faultRespond(int faultId, byte[] responses) {
        try (ObjectRef<FaultQueueObject> f = context.objects().get(faultId, ObjectType.FAULT, FaultQueueObject.class)) {
            return f.get().respond(responses.clone());
        }
    }

    /**
     * read() of the FAULT object's fd: whole groups as {@code struct iommu_hwpt_pgfault} records.
     *
     * @throws IommuException ENOENT for a bad {@code faultId}; ESPIPE as {@link PageFaultQueue#read}
     */
    public byte[] readFault(int faultId, int count) {
        try (ObjectRef<FaultQueueObject> f = context.objects().get(faultId, ObjectType.FAULT, FaultQueueObject.class)) {
            return f.get().queue().read(count);
        }
    }

    /** @return {@code out_veventq_id} */
    public int veventqAlloc(int flags, int viommuId, int type, int depth, int reserved) {
        if (flags != 0 || reserved != 0 || type == VeventqObject.TYPE_DEFAULT) {
            throw IommuException.of(Errno.EOPNOTSUPP, "VEVENTQ_ALLOC flags 0x%x __reserved 0x%x type %d", flags,
                    reserved, Integer.toUnsignedLong(type));
        }
        if (depth == 0) {
            throw IommuException.of(Errno.EINVAL, "veventq_depth 0");
        }
        // veventq_depth is a u32 and only a bound: beyond INT_MAX it bounds nothing more
        int bound = depth < 0 ? Integer.MAX_VALUE : depth;
        ObjectTable table = context.objects();
        try (ObjectRef<Viommu> ref = table.get(viommuId, ObjectType.VIOMMU, Viommu.class)) {
            Viommu v = ref.get();
            if (!supportsVeventq(v, type)) {
                throw IommuException.of(Errno.EOPNOTSUPP, "%s (type %d) reports no vEVENTs of type %d", v,
                        v.descriptor().type(), Integer.toUnsignedLong(type));
            }
            synchronized (v) {
                if (v.veventq(type) != null) {
                    throw IommuException.of(Errno.EEXIST, "%s already has %s for type %d", v, v.veventq(type),
                            Integer.toUnsignedLong(type));
                }
                VeventqObject q = new VeventqObject(context, table, v, type, bound);
                table.reserve(q);
                q.link();
                table.publish(q);
                return q.id();
            }
        }
    }

    /** {@code viommu->ops->supports_veventq}: the SMMUv3 vIOMMU reports its own event format. */
    private static boolean supportsVeventq(Viommu v, int type) {
        return v.descriptor().type() == ViommuDescriptor.TYPE_ARM_SMMUV3 && type == VeventqObject.TYPE_ARM_SMMUV3;
    }

    /**
     * read() of the VEVENTQ's fd, event by event: up to {@code max} whole events, each its header
     * and data.
     *
     * @throws IommuException ENOENT for a bad {@code veventqId}
     */
    public List<byte[]> readVevents(int veventqId, int max) {
        try (ObjectRef<VeventqObject> q = context.objects().get(veventqId, ObjectType.VEVENTQ, VeventqObject.class)) {
            return new ArrayList<>(q.get().queue().readEvents(max));
        }
    }
}
