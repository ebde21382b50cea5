package io.nestor.core.testformat;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;

/**
 * A page-table format of our own for tests, configurable in granule, levels, index bits, leaf levels
 * and root concatenation, so that code with a hidden 4 KiB or 512-entry assumption fails.
 *
 * <p>Descriptor: bit 0 valid, bit 1 table (levels above 0; at level 0 a set bit 1 is reserved and the
 * descriptor invalid), bit 2 R, bit 3 W, bit 4 X, bit 5 accessed, bit 6 dirty, output address in
 * bits [outputBits-1 : granuleShift]. R/W/X in a table descriptor restrict everything below it.
 */
public final class TestPageTableFormat implements PageTableFormat {
    public static final long V = 1, T = 2, R = 4, W = 8, X = 16, A = 32, D = 64;

    private final String name;
    private final int granuleShift;
    private final int[] indexBits;
    private final int[] shifts;
    private final int leafLevels;
    private final int rootTables;
    private final int outputBits;
    private final long addressMask;

    /**
     * @param indexBits index bits per level, level 0 first
     * @param leafLevels bitmap of levels that may hold leaves
     */
    public TestPageTableFormat(String name, int granuleShift, int[] indexBits, int leafLevels, int rootTables,
            int outputBits) {
        this.name = name;
        this.granuleShift = granuleShift;
        this.indexBits = indexBits.clone();
        this.shifts = new int[indexBits.length];
        int s = granuleShift;
        for (int i = 0; i < indexBits.length; i++) {
            shifts[i] = s;
            s += indexBits[i];
        }
        this.leafLevels = leafLevels;
        this.rootTables = rootTables;
        this.outputBits = outputBits;
        this.addressMask = ((1L << outputBits) - 1) & -(1L << granuleShift);
    }

    /** 16 KiB granule, 3 levels (11, 11, 8 index bits: a small root), leaves at levels 0 and 1. */
    public static TestPageTableFormat granule16k() {
        return new TestPageTableFormat("test-16k-3level", 14, new int[] {11, 11, 8}, 0b011, 1, 48);
    }

    /** 4 KiB granule, 4 levels of 9 bits, leaves at levels 0, 1 and 2 (4K, 2M, 1G). */
    public static TestPageTableFormat granule4k() {
        return new TestPageTableFormat("test-4k-4level", 12, new int[] {9, 9, 9, 9}, 0b111, 1, 48);
    }

    /** 64 KiB granule, 2 levels with two concatenated root tables, leaves at both levels. */
    public static TestPageTableFormat granule64kConcatenated() {
        return new TestPageTableFormat("test-64k-2level-concat", 16, new int[] {13, 13}, 0b011, 2, 48);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int granuleShift() {
        return granuleShift;
    }

    @Override
    public int levels() {
        return indexBits.length;
    }

    @Override
    public int indexBits(int level) {
        return indexBits[level];
    }

    @Override
    public int levelShift(int level) {
        return shifts[level];
    }

    @Override
    public int rootTableCount() {
        return rootTables;
    }

    @Override
    public int inputAddressBits() {
        int top = indexBits.length - 1;
        return shifts[top] + indexBits[top] + Integer.numberOfTrailingZeros(rootTables);
    }

    @Override
    public int outputAddressBits() {
        return outputBits;
    }

    @Override
    public boolean leafAllowed(int level) {
        return (leafLevels >>> level & 1) != 0;
    }

    @Override
    public int kind(long d, int level) {
        if ((d & V) == 0) {
            return KIND_INVALID;
        }
        if ((d & T) != 0) {
            return level == 0 ? KIND_INVALID : KIND_TABLE;
        }
        return leafAllowed(level) ? KIND_LEAF : KIND_INVALID;
    }

    @Override
    public long tableAddress(long d, int level) {
        return d & -(1L << granuleShift) & ~(0xFFL << 56);
    }

    @Override
    public long leafAddress(long d, int level) {
        return d & -(1L << shifts[level]) & ~(0xFFL << 56);
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

    /** Bits of the output address field (for tests that build descriptors by hand). */
    public long addressMask() {
        return addressMask;
    }

    @Override
    public String toString() {
        return name;
    }
}
