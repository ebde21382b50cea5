package io.nestor.itests.support;

import java.util.HashMap;
import java.util.Map;

/**
 * A guest's 4-level, 4 KiB-granule stage-1 page table as the guest OS keeps it in its RAM: x86-64
 * 4-level paging (the VT-d first-stage format, SDM vol. 3 §4.5; VT-d spec §3.6) or VMSAv8-64 with a
 * 4 KiB granule and a 48-bit input (T0SZ 16, starting at level 0; Arm ARM D8.3). Both index levels
 * with IOVA bits 47:39, 38:30, 29:21, 20:12; only the descriptor encodings differ
 * ({@link Encoding}).
 *
 * <p>Tables are taken from a bump allocator over a range of guest RAM and never freed; an entry is
 * written into guest RAM when it changes, the way a guest stores a PTE. The table contents are
 * also kept here, so building needs no reads.
 */
public final class GuestPageTables {

    /** How a format encodes its descriptors. */
    public interface Encoding {
        long table(long nextTableGpa);

        long page(long gpa, boolean writable);
    }

    /**
     * x86-64 first-stage entries: P (0), R/W (1), U/S (2), A (5), D (6) on the leaf, address in
     * 51:12. A and D are set ahead (no EAFE), so the walk writes nothing back; U/S because the
     * device's requests are user requests (no PRIV).
     */
    public static final Encoding X86_64 = new Encoding() {
        @Override
        public long table(long next) {
            return next | 0b10_0111L; // P, R/W, U/S, A
        }

        @Override
        public long page(long gpa, boolean writable) {
            return gpa | 0b110_0101L | (writable ? 0b10 : 0); // P, U/S, A, D (+ R/W)
        }
    };

    /**
     * VMSAv8-64 stage-1 descriptors: bits 1:0 = 0b11 (table, or page at level 3), AttrIndx 0,
     * AP[2:1] = 0b01 (read/write at any EL) or 0b11 (read-only), SH inner (0b11), AF (10) set so no
     * Access flag fault; output address in 47:12.
     */
    public static final Encoding VMSA_4K = new Encoding() {
        @Override
        public long table(long next) {
            return next | 0b11L;
        }

        @Override
        public long page(long gpa, boolean writable) {
            long ap = writable ? 0b01L : 0b11L;
            return gpa | 0b11L | (ap << 6) | (0b11L << 8) | (1L << 10);
        }
    };

    private final GuestRam ram;
    private final Encoding encoding;
    private final long root;
    private final long poolEnd;
    private long nextTable;
    private final Map<Long, long[]> tables = new HashMap<>();

    /** A table whose pages come from {@code [poolGpa, poolGpa + poolSize)}; the first is the root. */
    public GuestPageTables(GuestRam ram, Encoding encoding, long poolGpa, long poolSize) {
        this.ram = ram;
        this.encoding = encoding;
        this.nextTable = poolGpa;
        this.poolEnd = poolGpa + poolSize;
        this.root = newTable();
    }

    /** The root table's guest physical address (VT-d pgtbl_addr, SMMU CD.TTB0). */
    public long root() {
        return root;
    }

    private long newTable() {
        if (nextTable >= poolEnd) {
            throw new IllegalStateException("guest page-table pool exhausted");
        }
        long gpa = nextTable;
        nextTable += 0x1000;
        ram.write(gpa, new byte[0x1000]); // a fresh page of zeros: every entry not present
        tables.put(gpa, new long[512]);
        return gpa;
    }

    private static int index(long iova, int level) {
        return (int) ((iova >>> (12 + 9 * (level - 1))) & 0x1ff);
    }

    /** Maps the 4 KiB page at {@code iova} to guest physical {@code gpa}. */
    public void map(long iova, long gpa, boolean writable) {
        long table = root;
        for (int level = 4; level > 1; level--) {
            long[] entries = tables.get(table);
            int i = index(iova, level);
            if (entries[i] == 0) {
                long next = newTable();
                entries[i] = encoding.table(next);
                ram.write64(table + 8L * i, entries[i]);
            }
            table = entries[i] & 0x000f_ffff_ffff_f000L;
        }
        long[] leaf = tables.get(table);
        int i = index(iova, 1);
        leaf[i] = encoding.page(gpa, writable);
        ram.write64(table + 8L * i, leaf[i]);
    }

    /** Clears the leaf entry of {@code iova} (the guest unmapping a page, before it invalidates). */
    public void unmap(long iova) {
        long table = root;
        for (int level = 4; level > 1; level--) {
            long e = tables.get(table)[index(iova, level)];
            if (e == 0) {
                return;
            }
            table = e & 0x000f_ffff_ffff_f000L;
        }
        tables.get(table)[index(iova, 1)] = 0;
        ram.write64(table + 8L * index(iova, 1), 0);
    }
}
