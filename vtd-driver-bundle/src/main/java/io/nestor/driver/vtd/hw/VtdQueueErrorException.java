package io.nestor.driver.vtd.hw;

/**
 * The invalidation-queue error the hardware reports for a descriptor or queue state it refuses:
 * FSTS.IQE with the cause in IQERCD.IQEI (bits 3:0) (VT-d spec 11.4.9.9 as restated in
 * {@code hw-formats.md} 1.7). Checked, so that every path that fetches or decodes a descriptor
 * states what happens on refusal; it never escapes the hardware half.
 */
public final class VtdQueueErrorException extends Exception {

    private static final long serialVersionUID = 1L;

    /** IQEI 1: IQT points beyond the queue. */
    public static final int INVALID_TAIL = 1;
    /** IQEI 2: the descriptor could not be fetched (or its status written). */
    public static final int FETCH_ERROR = 2;
    /** IQEI 3: a reserved descriptor type, or one for a feature ECAP does not report. */
    public static final int INVALID_TYPE = 3;
    /** IQEI 4: a reserved field (or a reserved encoding of a field) is set. */
    public static final int RESERVED_FIELD = 4;
    /** IQEI 5: a descriptor type that needs 256-bit descriptors in a 128-bit queue. */
    public static final int INVALID_WIDTH = 5;
    /** IQEI 6: IQT bit 4 set while the queue holds 256-bit descriptors. */
    public static final int TAIL_MISALIGNED = 6;

    private final int code;

    public VtdQueueErrorException(int code, String message) {
        super(message);
        this.code = code;
    }

    /** The IQEI value. */
    public int code() {
        return code;
    }
}
