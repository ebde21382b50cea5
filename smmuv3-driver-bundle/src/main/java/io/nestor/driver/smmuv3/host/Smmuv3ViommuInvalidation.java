package io.nestor.driver.smmuv3.host;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.driver.ViommuDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * {@code IOMMU_HWPT_INVALIDATE} on an SMMUv3 vIOMMU: an array of
 * {@code struct iommu_viommu_arm_smmuv3_invalidate { __le64 cmd[2]; }}, each one raw guest command,
 * turned into a host command and issued on the command queue (Linux {@code arm_vsmmu_cache_invalidate}
 * and {@code arm_vsmmu_convert_user_cmd}; kernel-uapi.md §1.2.15, §1.3).
 *
 * <p>Accepted opcodes and their conversion:
 * <ul>
 * <li>CMD_TLBI_NSNH_ALL → CMD_TLBI_NH_ALL of the vIOMMU's VMID (word 1 cleared);</li>
 * <li>CMD_TLBI_NH_VA, NH_VAA, NH_ALL, NH_ASID → the same command with the VMID replaced by the
 *     vIOMMU's;</li>
 * <li>CMD_ATC_INV, CMD_CFGI_CD, CMD_CFGI_CD_ALL → the same command with the virtual StreamID
 *     replaced by the physical one of the vDEVICE that has it;</li>
 * <li>anything else, or a vSID without vDEVICE → EIO.</li>
 * </ul>
 *
 * <p>Array rules ({@code iommu_copy_struct_from_full_user_array}): {@code data_type} other than
 * {@code IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3} → EINVAL; {@code entry_len} 0 or not dividing the
 * data → EINVAL; a shorter entry is zero-extended and a longer one must have zeros past 16 bytes
 * (E2BIG); these array checks come before any command is issued. An empty array is a probe.
 *
 * <p>Commands are converted in order and issued in batches of 63 plus a CMD_SYNC
 * ({@code CMDQ_BATCH_ENTRIES - 1}). At the first bad entry the entries before it are issued, and
 * the error carries {@code entry_num} = their count. (Linux reports the same count but leaves the
 * last partial batch unissued; "handled" here means issued.)
 */
final class Smmuv3ViommuInvalidation {

    static final int ENTRY_SIZE = 16;
    static final int BATCH = 63;

    static int invalidate(UnitContext unit, ViommuDescriptor viommu, LongFunction<DeviceInfo> vdevices,
            int dataType, int entryLen, byte[] entries) {
        if (dataType != Smmuv3HwptFlags.INVALIDATE_DATA_ARM_SMMUV3) {
            throw failed(IommuException.of(Errno.EINVAL, "data_type %d is not IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 (%d)",
                    dataType, Smmuv3HwptFlags.INVALIDATE_DATA_ARM_SMMUV3), 0);
        }
        int length = entries == null ? 0 : entries.length;
        if (length == 0) {
            return 0;
        }
        if (entryLen <= 0 || length % entryLen != 0) {
            throw failed(IommuException.of(Errno.EINVAL, "entry_len %d does not divide %d bytes of entries",
                    entryLen, length), 0);
        }
        int count = length / entryLen;
        long[][] raw = copyArray(entries, entryLen, count);

        Smmuv3DeviceReset.ensureUp(unit);
        List<Smmuv3Command> batch = new ArrayList<>();
        int issued = 0;
        for (int i = 0; i < count; i++) {
            Smmuv3Command converted;
            try {
                converted = convert(unit, viommu, vdevices, raw[i][0], raw[i][1], i);
            } catch (IommuException e) {
                issued = flush(unit, batch, issued);
                throw failed(e, issued);
            }
            batch.add(converted);
            if (batch.size() == BATCH) {
                issued = flush(unit, batch, issued);
            }
        }
        return flush(unit, batch, issued);
    }

    /** Copies the array first, as the kernel does, so a malformed entry fails before anything is issued. */
    private static long[][] copyArray(byte[] entries, int entryLen, int count) {
        long[][] raw = new long[count][2];
        byte[] one = new byte[ENTRY_SIZE];
        for (int i = 0; i < count; i++) {
            int off = i * entryLen;
            java.util.Arrays.fill(one, (byte) 0);
            System.arraycopy(entries, off, one, 0, Math.min(entryLen, ENTRY_SIZE));
            for (int j = ENTRY_SIZE; j < entryLen; j++) {
                if (entries[off + j] != 0) {
                    throw failed(IommuException.of(Errno.E2BIG, "entry %d: byte %d past the 16-byte command is not zero",
                            i, j), 0);
                }
            }
            ByteBuffer b = ByteBuffer.wrap(one).order(ByteOrder.LITTLE_ENDIAN);
            raw[i][0] = b.getLong(0);
            raw[i][1] = b.getLong(8);
        }
        return raw;
    }

    static Smmuv3Command convert(UnitContext unit, ViommuDescriptor viommu, LongFunction<DeviceInfo> vdevices,
            long w0, long w1, int index) {
        int opcode = (int) Smmuv3Command.OPCODE.extract(w0);
        switch (opcode) {
            case Smmuv3Command.TLBI_NSNH_ALL:
                return Smmuv3CommandBuilder.tlbiNhAll(viommu.tag());
            case Smmuv3Command.TLBI_NH_VA:
            case Smmuv3Command.TLBI_NH_VAA:
            case Smmuv3Command.TLBI_NH_ALL:
            case Smmuv3Command.TLBI_NH_ASID:
                return new Smmuv3Command(Smmuv3Command.TLBI_VMID.insert(w0, viommu.tag()), w1);
            case Smmuv3Command.ATC_INV:
            case Smmuv3Command.CFGI_CD:
            case Smmuv3Command.CFGI_CD_ALL: {
                long vsid = Smmuv3Command.SID.extract(w0);
                DeviceInfo device = vdevices == null ? null : vdevices.apply(vsid);
                if (device == null) {
                    throw IommuException.of(Errno.EIO, "%s: entry %d: no vDEVICE with virtual StreamID 0x%x",
                            unit.name(), index, vsid);
                }
                return new Smmuv3Command(Smmuv3Command.SID.insert(w0, Integer.toUnsignedLong(device.sourceId())), w1);
            }
            default:
                throw IommuException.of(Errno.EIO, "%s: entry %d: opcode 0x%x is not accepted from a vIOMMU",
                        unit.name(), index, opcode);
        }
    }

    private static int flush(UnitContext unit, List<Smmuv3Command> batch, int issued) {
        if (batch.isEmpty()) {
            return issued;
        }
        try {
            Smmuv3CommandSubmission.issueWithSync(unit, batch);
        } catch (IommuException e) {
            throw failed(e, issued);
        }
        int n = issued + batch.size();
        batch.clear();
        return n;
    }

    private static IommuException failed(IommuException e, int handled) {
        return e.outValues().containsKey("entry_num") ? e : e.withOutValue("entry_num", handled);
    }

    private Smmuv3ViommuInvalidation() {
    }
}
