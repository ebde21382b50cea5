package io.nestor.driver.smmuv3.hw;

/**
 * A command the SMMU refuses, with the CMDQ_CONS.ERR code it reports (SMMUv3 architecture
 * "Command errors"; Linux {@code CMDQ_ERR_CERROR_*_IDX}): the queue stops at the command, CONS keeps
 * pointing at it, and GERROR.CMDQ_ERR is raised. Checked, so that every command path says whether it
 * can fail; thrown before the command has any effect.
 */
final class Smmuv3CommandError extends Exception {
    private static final long serialVersionUID = 1L;

    /** Unknown opcode, a reserved or illegal field value, or a command the SMMU does not implement. */
    static final int CERROR_ILL = 1;
    /** An abort (bus error) reading the command. */
    static final int CERROR_ABT = 2;
    /** An ATC invalidation timed out before a CMD_SYNC (not produced here: ATC_INV completes at once). */
    static final int CERROR_ATC_INV_SYNC = 3;

    private final int code;

    Smmuv3CommandError(int code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    static Smmuv3CommandError illegal(String format, Object... args) {
        return new Smmuv3CommandError(CERROR_ILL, String.format(format, args));
    }

    int code() {
        return code;
    }
}
