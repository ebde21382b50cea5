package io.nestor.api.translation;

import io.nestor.api.pagetable.Permission;

/**
 * The kind of a DMA request, as bits: what the device asks to do with the address. Requests come
 * with or without a PASID; privileged and execute requests need a PASID on both IOMMUs.
 */
public final class Access {
    public static final int READ = 1;
    public static final int WRITE = 1 << 1;
    /** Instruction fetch (VT-d execute-requested, SMMU InD). */
    public static final int EXEC = 1 << 2;
    /** Privileged / supervisor request (VT-d privilege-mode-requested, SMMU PnU). */
    public static final int PRIV = 1 << 3;

    private Access() {
    }

    /** The {@link Permission} bits a translation must grant for this access to succeed. */
    public static int requiredPermissions(int access) {
        boolean priv = (access & PRIV) != 0;
        int need = priv ? Permission.PRIV : Permission.USER;
        if ((access & READ) != 0) {
            need |= Permission.READ;
        }
        if ((access & WRITE) != 0) {
            need |= Permission.WRITE;
        }
        if ((access & EXEC) != 0) {
            need |= priv ? Permission.EXEC_PRIV : Permission.EXEC_USER;
        }
        return need;
    }

    /** {@code r}, {@code w}, {@code x} and {@code p} for the bits set, for logs and the shell. */
    public static String toString(int access) {
        StringBuilder b = new StringBuilder(4);
        if ((access & READ) != 0) {
            b.append('r');
        }
        if ((access & WRITE) != 0) {
            b.append('w');
        }
        if ((access & EXEC) != 0) {
            b.append('x');
        }
        if ((access & PRIV) != 0) {
            b.append('p');
        }
        return b.toString();
    }
}
