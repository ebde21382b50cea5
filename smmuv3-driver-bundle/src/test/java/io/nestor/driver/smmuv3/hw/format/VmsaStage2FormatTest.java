package io.nestor.driver.smmuv3.hw.format;

import static io.nestor.api.pagetable.PageTableFormat.KIND_INVALID;
import static io.nestor.api.pagetable.PageTableFormat.KIND_LEAF;
import static io.nestor.api.pagetable.PageTableFormat.KIND_TABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import org.junit.jupiter.api.Test;

/** Stage-2 descriptors written by hand from hw-formats.md §2.4, decoded. */
class VmsaStage2FormatTest {

    /** 4 KiB, 40-bit IPA, start at level 1 with two concatenated root tables. */
    private static final VmsaGeometry G = VmsaGeometry.stage2(VmsaGranule.GRANULE_4K, 24, 1);
    private final VmsaStage2Format f = new VmsaStage2Format(G, 48, false, false);
    private final VmsaStage2Format xnx = new VmsaStage2Format(G, 48, false, true);

    private static String perms(int p) {
        return Permission.toString(p);
    }

    @Test
    void geometryVisibleThroughFormat() {
        assertEquals(3, f.levels());
        assertEquals(2, f.rootTableCount());
        assertEquals(9, f.indexBits(2));
        assertEquals(30, f.levelShift(2));
        assertEquals(40, f.inputAddressBits());
        assertTrue(f.inputAddressValid((1L << 40) - 1));
        assertFalse(f.inputAddressValid(1L << 40));
        assertEquals("vmsav8-s2-4k", f.name());
    }

    @Test
    void kindsAndAddresses() {
        assertEquals(KIND_TABLE, f.kind(0x0000_0012_3456_7003L, 2));
        assertEquals(KIND_LEAF, f.kind(0x0000_0000_4000_04C1L, 2));
        assertEquals(KIND_LEAF, f.kind(0x0000_0000_0000_54C3L, 0));
        assertEquals(KIND_INVALID, f.kind(0x0000_0000_0000_54C1L, 0));
        assertEquals(0x12_3456_7000L, f.tableAddress(0x0000_0012_3456_7003L, 2));
        assertEquals(0x4000_0000L, f.leafAddress(0x0060_0000_5FFF_F4C1L, 2));
        assertEquals(0x0000_FFFF_FFFF_F000L, f.leafAddress(0xFFFF_FFFF_FFFF_FFFFL, 0));
    }

    @Test
    void s2apAndNoPrivilege() {
        assertEquals("rwxXPU", perms(f.permissions(0x0000_0000_0000_54C3L, 0)));  // S2AP 11
        assertEquals("r-xXPU", perms(f.permissions(0x0000_0000_0000_5443L, 0)));  // 01 read-only
        assertEquals("-wxXPU", perms(f.permissions(0x0000_0000_0000_5483L, 0)));  // 10 write-only
        assertEquals("--xXPU", perms(f.permissions(0x0000_0000_0000_5403L, 0)));  // 00 none
        // table descriptors carry no stage-2 permissions, even with the stage-1 attribute bits set
        assertEquals(Permission.ALL, f.permissions(0x7800_0000_1234_5003L, 1));
    }

    @Test
    void executeNever() {
        long rw = 0x0000_0000_0000_54C3L;
        assertEquals("rw--PU", perms(f.permissions(rw | 1L << 54, 0)));
        // without XNX, bit 53 is ignored
        assertEquals("rwxXPU", perms(f.permissions(rw | 1L << 53, 0)));
        // with XNX: 01 PXN-like, 10 none, 11 UXN-like
        assertEquals("rwxXPU", perms(xnx.permissions(rw, 0)));
        assertEquals("rw-XPU", perms(xnx.permissions(rw | 1L << 53, 0)));
        assertEquals("rw--PU", perms(xnx.permissions(rw | 1L << 54, 0)));
        assertEquals("rwx-PU", perms(xnx.permissions(rw | 3L << 53, 0)));
    }

    @Test
    void encodeByHand() {
        // 2 MiB block, AF, SH inner, MemAttr 1111, S2AP 01, XN = 10
        assertEquals(0x0040_0000_0020_077DL, f.encodeLeaf(0x20_0000, 1, Permission.READ | Permission.EXEC_PRIV));
        // with XNX the same request is UXN-like (11)
        assertEquals(0x0060_0000_0020_077DL, xnx.encodeLeaf(0x20_0000, 1, Permission.READ | Permission.EXEC_PRIV));
        assertEquals(0x0000_0000_0000_57FFL, f.encodeLeaf(0x5000, 0, Permission.ALL));
    }

    @Test
    void accessAndDirty() {
        assertFalse(f.accessed(0x0000_0000_0000_50C3L));
        assertEquals(0x0000_0000_0000_54C3L, f.withAccessed(0x0000_0000_0000_50C3L));
        VmsaStage2Format hd = new VmsaStage2Format(G, 48, true, false);
        long clean = 0x0008_0000_0000_5443L;      // DBM, S2AP 01: writable-clean
        assertEquals("r-xXPU", perms(f.permissions(clean, 0)));
        assertEquals("rwxXPU", perms(hd.permissions(clean, 0)));
        assertFalse(hd.dirty(clean));
        assertEquals(0x0008_0000_0000_54C3L, hd.withDirty(clean));
        assertTrue(hd.dirty(hd.withDirty(clean)));
        assertFalse(f.dirty(0x0008_0000_0000_54C3L));
        assertEquals(0x0000_0000_0000_5443L, hd.withDirty(0x0000_0000_0000_5443L));
        long enc = hd.encodeLeaf(0x5000, 0, Permission.READ | Permission.WRITE);
        assertTrue((enc & 1L << 51) != 0);
        assertFalse(hd.dirty(enc));
        assertTrue((hd.permissions(enc, 0) & Permission.WRITE) != 0);
    }
}
