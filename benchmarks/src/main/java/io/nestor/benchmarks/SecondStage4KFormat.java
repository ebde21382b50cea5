package io.nestor.benchmarks;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;

/**
 * A benchmark-local page-table format shaped like x86-64 4-level paging / the VT-d second-stage table:
 * 4 KiB granule, 4 levels of 9 index bits (48-bit input), leaves at levels 0, 1 and 2 (4 KiB, 2 MiB,
 * 1 GiB), 52-bit output. The core's own test formats live in its test sources, which the benchmarks
 * cannot see; the builder is format-generic, so the geometry is what matters for cost.
 *
 * <p>Descriptor (simplified VT-d second-stage entry, SDM-independent on purpose): bit 0 R, bit 1 W,
 * bit 2 X, bit 7 page size (leaf above level 0), bit 8 accessed, bit 9 dirty, address in bits
 * [51:12]. A descriptor is present when R, W or X is set; above level 0 it is a leaf when bit 7 is set
 * and a table otherwise. Table descriptors grant R, W and X.
 */
final class SecondStage4KFormat implements PageTableFormat {
    private static final long R = 1, W = 2, X = 4, PS = 1 << 7, A = 1 << 8, D = 1 << 9;
    private static final long ADDRESS = ((1L << 52) - 1) & ~0xFFFL;

    @Override
    public String name() {
        return "bench-ss-4k-4level";
    }

    @Override
    public int granuleShift() {
        return 12;
    }

    @Override
    public int levels() {
        return 4;
    }

    @Override
    public int indexBits(int level) {
        return 9;
    }

    @Override
    public int levelShift(int level) {
        return 12 + 9 * level;
    }

    @Override
    public int rootTableCount() {
        return 1;
    }

    @Override
    public int inputAddressBits() {
        return 48;
    }

    @Override
    public int outputAddressBits() {
        return 52;
    }

    @Override
    public boolean leafAllowed(int level) {
        return level <= 2;
    }

    @Override
    public int kind(long descriptor, int level) {
        if ((descriptor & (R | W | X)) == 0) {
            return KIND_INVALID;
        }
        if (level == 0 || (descriptor & PS) != 0) {
            return level <= 2 ? KIND_LEAF : KIND_INVALID;
        }
        return KIND_TABLE;
    }

    @Override
    public long tableAddress(long descriptor, int level) {
        return descriptor & ADDRESS;
    }

    @Override
    public long leafAddress(long descriptor, int level) {
        return descriptor & ADDRESS & -(1L << levelShift(level));
    }

    @Override
    public int permissions(long descriptor, int level) {
        int p = 0;
        if ((descriptor & R) != 0) {
            p |= Permission.READ;
        }
        if ((descriptor & W) != 0) {
            p |= Permission.WRITE;
        }
        if ((descriptor & X) != 0) {
            p |= Permission.EXEC_PRIV | Permission.EXEC_USER;
        }
        return p;
    }

    @Override
    public boolean accessed(long descriptor) {
        return (descriptor & A) != 0;
    }

    @Override
    public boolean dirty(long descriptor) {
        return (descriptor & D) != 0;
    }

    @Override
    public long withAccessed(long descriptor) {
        return descriptor | A;
    }

    @Override
    public long withDirty(long descriptor) {
        return descriptor | D;
    }

    @Override
    public long encodeTable(long tableAddress, int level) {
        return (tableAddress & ADDRESS) | R | W | X;
    }

    @Override
    public long encodeLeaf(long outputAddress, int level, int permissions) {
        long d = (outputAddress & ADDRESS) | (level > 0 ? PS : 0);
        if ((permissions & Permission.READ) != 0) {
            d |= R;
        }
        if ((permissions & Permission.WRITE) != 0) {
            d |= W;
        }
        if ((permissions & (Permission.EXEC_PRIV | Permission.EXEC_USER)) != 0) {
            d |= X;
        }
        return d;
    }
}
