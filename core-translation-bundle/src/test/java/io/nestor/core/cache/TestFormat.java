package io.nestor.core.cache;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;

/**
 * A minimal x86-64-like geometry (4 KiB granule, 4 levels of 9 index bits) for the walk-cache
 * tests, which only use the geometry; descriptor methods follow a trivial encoding.
 */
final class TestFormat implements PageTableFormat {
    static final TestFormat FOUR_LEVEL = new TestFormat();

    @Override public String name() { return "test-4level"; }
    @Override public int granuleShift() { return 12; }
    @Override public int levels() { return 4; }
    @Override public int indexBits(int level) { return 9; }
    @Override public int levelShift(int level) { return 12 + 9 * level; }
    @Override public int rootTableCount() { return 1; }
    @Override public int inputAddressBits() { return 48; }
    @Override public int outputAddressBits() { return 52; }
    @Override public boolean leafAllowed(int level) { return level <= 2; }
    @Override public int kind(long d, int level) { return (int) (d & 3); }
    @Override public long tableAddress(long d, int level) { return d & ~0xFFFL; }
    @Override public long leafAddress(long d, int level) { return d & ~0xFFFL; }
    @Override public int permissions(long d, int level) { return Permission.ALL; }
    @Override public boolean accessed(long d) { return true; }
    @Override public boolean dirty(long d) { return false; }
    @Override public long withAccessed(long d) { return d; }
    @Override public long withDirty(long d) { return d; }
    @Override public long encodeTable(long table, int level) { return table | KIND_TABLE; }
    @Override public long encodeLeaf(long out, int level, int permissions) { return out | KIND_LEAF; }
}
