package io.nestor.core.iommufd;

/**
 * {@code struct iommu_hwpt_invalidate}: {@code entries} holds {@code entryNum} entries of
 * {@code entryLen} bytes (the user array); {@code hasData} is false for a NULL {@code data_uptr}.
 */
public record HwptInvalidateCommand(int hwptId, int dataType, int entryLen, int entryNum, byte[] entries,
        boolean hasData, int reserved) {

    public HwptInvalidateCommand {
        entries = entries == null ? new byte[0] : entries.clone();
    }

    @Override
    public byte[] entries() {
        return entries.clone();
    }

    public static HwptInvalidateCommand of(int hwptId, int dataType, int entryLen, int entryNum, byte[] entries) {
        return new HwptInvalidateCommand(hwptId, dataType, entryLen, entryNum, entries, true, 0);
    }
}
