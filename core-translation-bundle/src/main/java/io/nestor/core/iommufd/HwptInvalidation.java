package io.nestor.core.iommufd;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.Arrays;

/**
 * IOMMU_HWPT_INVALIDATE ({@code iommufd_hwpt_invalidate}, {@code hw_pagetable.c}): user
 * invalidation entries handed to the driver of a nested HWPT ({@code invalidateUser}) or of a
 * vIOMMU ({@code invalidateViommu}, with the vIOMMU's vDEVICE table for vSID lookups).
 *
 * <p>Order: {@code __reserved} → EOPNOTSUPP; {@code entry_num} with a NULL array or
 * {@code entry_len} 0 → EINVAL; {@code hwpt_id} missing → ENOENT; neither an HWPT_NESTED nor a
 * vIOMMU → EINVAL; then the driver (EOPNOTSUPP when it has no such operation, its own type and
 * entry checks). {@code entry_num} 0 is a probe: the driver sees an empty array and checks only the
 * type. {@code entry_num} is written back also on failure: every {@link IommuException} thrown
 * carries the out value {@code "entry_num"} — the entries handled before the failure, 0 on the early
 * errors.
 */
public final class HwptInvalidation {
    public static final String ENTRY_NUM = "entry_num";
    private final IommufdContext context;

    HwptInvalidation(IommufdContext context) {
        this.context = context;
    }

    /** @return {@code entry_num} written back: entries handled */
    public int invalidate(HwptInvalidateCommand cmd) {
        try {
            return run(cmd);
        } catch (IommuException e) {
            throw e.outValues().containsKey(ENTRY_NUM) ? e : e.withOutValue(ENTRY_NUM, 0);
        }
    }

    private int run(HwptInvalidateCommand cmd) {
        if (cmd.reserved() != 0) {
            throw IommuException.of(Errno.EOPNOTSUPP, "HWPT_INVALIDATE __reserved 0x%x", cmd.reserved());
        }
        if (cmd.entryNum() != 0 && (!cmd.hasData() || cmd.entryLen() == 0)) {
            throw IommuException.of(Errno.EINVAL, "entry_num %d with %s", Integer.toUnsignedLong(cmd.entryNum()),
                    cmd.hasData() ? "entry_len 0" : "a NULL data_uptr");
        }
        IommufdPlatform platform = context.platform();
        try (ObjectRef<IommufdObject> ref = context.objects().getAny(cmd.hwptId())) {
            IommufdObject o = ref.get();
            if (!(o instanceof HwptNested) && !(o instanceof Viommu)) {
                throw IommuException.of(Errno.EINVAL, "hwpt_id %d is a %s, neither an HWPT_NESTED nor a VIOMMU",
                        Integer.toUnsignedLong(cmd.hwptId()), o.type());
            }
            byte[] entries = entriesOf(cmd); // the driver's copy from the user array
            if (o instanceof HwptNested) {
                HwptNested h = (HwptNested) o;
                return UnitDriver.call(platform.registry(), h.unit(), d -> d.invalidateUser(h.unit(),
                        h.descriptor(), cmd.dataType(), cmd.entryLen(), entries));
            }
            Viommu v = (Viommu) o;
            return UnitDriver.call(platform.registry(), v.unit(), d -> d.invalidateViommu(v.unit(),
                    v.descriptor(), v::deviceFor, cmd.dataType(), cmd.entryLen(), entries));
        }
    }

    /** The {@code entry_num * entry_len} bytes the kernel would copy in (empty for a probe). */
    private static byte[] entriesOf(HwptInvalidateCommand cmd) {
        if (cmd.entryNum() == 0) {
            return new byte[0];
        }
        long need = Integer.toUnsignedLong(cmd.entryNum()) * Integer.toUnsignedLong(cmd.entryLen());
        byte[] all = cmd.entries();
        if (need > all.length) {
            throw IommuException.of(Errno.EFAULT, "entry_num %d x entry_len %d = %d bytes, the array holds %d",
                    Integer.toUnsignedLong(cmd.entryNum()), Integer.toUnsignedLong(cmd.entryLen()), need, all.length);
        }
        return Arrays.copyOf(all, (int) need);
    }
}
