package io.nestor.core.service;

/**
 * Where sessions' memory lies in the host physical space (52 bits, see {@code PlatformComponent}).
 *
 * <pre>
 *   [0, 2^40)               unused by sessions (tests and benchmarks place their own tables here)
 *   [2^40, 2^45)    31 TiB  anonymous regions
 *   [2^45, 2^46)    32 TiB  file-backed regions
 *   [2^46, 2^46 + 2^36)     the driver registry's structure window (root / context / PASID tables,
 *                           stream and CD tables, queues: DriverRegistry.STRUCTURE_WINDOW_*)
 * </pre>
 *
 * <p>Why two windows: the sparse memory refuses to place a file region over pages that were ever
 * written (they keep their storage, zeroed, after an anonymous region is destroyed), so file-backed
 * regions get a window anonymous ones never use. Everything lies below 2^48, the narrowest output
 * address width of the default topology's units, so any region can be a DMA target. Session virtual
 * addresses are separate per session: {@link #USER_VA_BASE} up to {@link #USER_VA_END}.
 */
final class HostMemoryLayout {
    static final long ANONYMOUS_BASE = 1L << 40;
    static final long ANONYMOUS_SIZE = (1L << 45) - (1L << 40);
    static final long FILE_BASE = 1L << 45;
    static final long FILE_SIZE = 1L << 45;
    /** The first session virtual address handed out (64 GiB), as a process's mmap area would start. */
    static final long USER_VA_BASE = 1L << 36;
    /** The end of the session virtual space: a 47-bit user address space, as x86-64 Linux has. */
    static final long USER_VA_END = 1L << 47;

    private HostMemoryLayout() {
    }
}
