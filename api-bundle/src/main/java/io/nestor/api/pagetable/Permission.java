package io.nestor.api.pagetable;

/**
 * Permission bits granted by a descriptor or a whole translation. Combined across levels and
 * stages by intersection ({@code &}).
 *
 * <p>Data access and instruction fetch are separate, and each is split by privilege, because the
 * formats distinguish them: x86 U/S and XD, VMSAv8-64 AP[1], UXN and PXN. A stage without a notion
 * of privilege (VT-d second stage, SMMU stage 2) grants both privilege levels.
 */
public final class Permission {
    /** Data reads allowed. */
    public static final int READ = 1;
    /** Data writes allowed. */
    public static final int WRITE = 1 << 1;
    /** Instruction fetch by a privileged (supervisor) request allowed. */
    public static final int EXEC_PRIV = 1 << 2;
    /** Instruction fetch by an unprivileged (user) request allowed. */
    public static final int EXEC_USER = 1 << 3;
    /** Privileged requests may access the page. */
    public static final int PRIV = 1 << 4;
    /** Unprivileged requests may access the page. */
    public static final int USER = 1 << 5;

    /** Every permission: the identity for intersection. */
    public static final int ALL = READ | WRITE | EXEC_PRIV | EXEC_USER | PRIV | USER;

    private Permission() {
    }

    /** A compact human form such as {@code rw-xP-}: read, write, priv-exec, user-exec, priv, user. */
    public static String toString(int bits) {
        return new StringBuilder(6)
                .append((bits & READ) != 0 ? 'r' : '-')
                .append((bits & WRITE) != 0 ? 'w' : '-')
                .append((bits & EXEC_PRIV) != 0 ? 'x' : '-')
                .append((bits & EXEC_USER) != 0 ? 'X' : '-')
                .append((bits & PRIV) != 0 ? 'P' : '-')
                .append((bits & USER) != 0 ? 'U' : '-')
                .toString();
    }
}
