package io.nestor.api.translation;

/**
 * Page group response codes (PCIe PRG Response Message; VT-d page group response descriptor
 * "Response Code"; SMMUv3 CMD_PRI_RESP "Resp"). iommufd accepts SUCCESS and INVALID from user
 * space ({@code IOMMUFD_PAGE_RESP_SUCCESS} = 0, {@code IOMMUFD_PAGE_RESP_INVALID} = 1); FAILURE is
 * what the kernel sends for faults left unanswered when a device detaches.
 */
public enum PageResponseCode {
    SUCCESS(0x0),
    INVALID(0x1),
    FAILURE(0xF);

    private final int pciCode;

    PageResponseCode(int pciCode) {
        this.pciCode = pciCode;
    }

    /** The 4-bit response code on the wire. */
    public int pciCode() {
        return pciCode;
    }

    /** The code for a 4-bit wire value; reserved values answer {@code null}. */
    public static PageResponseCode ofPciCode(int code) {
        for (PageResponseCode c : values()) {
            if (c.pciCode == code) {
                return c;
            }
        }
        return null;
    }
}
