package io.nestor.benchmarks;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;

/**
 * A benchmark-local page-table format: 4 KiB granule, 4 levels of 9 index bits (48-bit input and
 * output), leaves at levels 0, 1 and 2 (4 KiB, 2 MiB, 1 GiB), the geometry of x86-64 4-level and
 * VMSAv8-64 4K. The core's test format lives in its test sources, which this module cannot see, so
 * this is a fixed-geometry copy of its descriptor layout:
 * <pre>
 *   bit 0 valid, bit 1 table (above level 0; reserved, hence invalid, at level 0), bit 2 R, bit 3 W,
 *   bit 4 X, bit 5 accessed, bit 6 dirty, address in bits 47..12
 * </pre>
 * R/W/X in a table descriptor restrict everything below it. Immutable and allocation-free, like a
 * driver's format.
 */
public final class BenchPageTableFormat implements PageTableFormat {
    public static final long V = 1, T = 2, R = 4, W = 8, X = 16, A = 32, D = 64;
    private static final long ADDRESS = ((1L << 48) - 1) & ~0xFFFL;

    @Override
    public String name() {
        return "bench-4k-4level";
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
        return 48;
    }

    @Override
    public boolean leafAllowed(int level) {
        return level <= 2;
    }

    @Override
    public int kind(long d, int level) {
        if ((d & V) == 0) {
            return KIND_INVALID;
        }
        if ((d & T) != 0) {
            return level == 0 ? KIND_INVALID : KIND_TABLE;
        }
        return level <= 2 ? KIND_LEAF : KIND_INVALID;
    }

    @Override
    public long tableAddress(long d, int level) {
        return d & ADDRESS;
    }

    @Override
    public long leafAddress(long d, int level) {
        return d & ADDRESS & -(1L << levelShift(level));
    }

    @Override
    public int permissions(long d, int level) {
        int p = Permission.PRIV | Permission.USER;
        if ((d & R) != 0) {
            p |= Permission.READ;
        }
        if ((d & W) != 0) {
            p |= Permission.WRITE;
        }
        if ((d & X) != 0) {
            p |= Permission.EXEC_PRIV | Permission.EXEC_USER;
        }
        return p;
    }

    @Override
    public boolean accessed(long d) {
        return (d & A) != 0;
    }

    @Override
    public boolean dirty(long d) {
        return (d & D) != 0;
    }

    @Override
    public long withAccessed(long d) {
        return d | A;
    }

    @Override
    public long withDirty(long d) {
        return d | D;
    }

    @Override
    public long encodeTable(long tableAddress, int level) {
        return tableAddress | V | T | R | W | X | A;
    }

    @Override
    public long encodeLeaf(long outputAddress, int level, int permissions) {
        long d = outputAddress | V | A;
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
