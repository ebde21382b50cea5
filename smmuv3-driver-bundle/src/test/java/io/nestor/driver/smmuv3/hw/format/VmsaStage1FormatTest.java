package io.nestor.driver.smmuv3.hw.format;

import static io.nestor.api.pagetable.PageTableFormat.KIND_INVALID;
import static io.nestor.api.pagetable.PageTableFormat.KIND_LEAF;
import static io.nestor.api.pagetable.PageTableFormat.KIND_TABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import org.junit.jupiter.api.Test;

/** Stage-1 descriptors written by hand from hw-formats.md §2.4, decoded. */
class VmsaStage1FormatTest {

    private static final VmsaGeometry G4K = VmsaGeometry.stage1(VmsaGranule.GRANULE_4K, 16);
    private final VmsaStage1Format f = new VmsaStage1Format(G4K, 48, false, false);

    private static String perms(int p) {
        return Permission.toString(p);
    }

    @Test
    void kindPerLevel4k() {
        // 11 = table above the last level, page at the last level
        assertEquals(KIND_TABLE, f.kind(0x0000_0000_1234_5003L, 3));
        assertEquals(KIND_TABLE, f.kind(0x0000_0000_1234_5003L, 1));
        assertEquals(KIND_LEAF, f.kind(0x0000_0000_1234_5003L, 0));
        // 01 = block where the granule allows one: 1 GiB at VMSA L1, 2 MiB at L2, none at L0
        assertEquals(KIND_LEAF, f.kind(0x0000_0000_4000_0401L, 2));
        assertEquals(KIND_LEAF, f.kind(0x0000_0000_0020_0401L, 1));
        assertEquals(KIND_INVALID, f.kind(0x0000_0000_4000_0401L, 3));
        // 01 at the last level is reserved; x0 is invalid everywhere
        assertEquals(KIND_INVALID, f.kind(0x0000_0000_0000_5401L, 0));
        assertEquals(KIND_INVALID, f.kind(0x0000_0000_1234_5002L, 2));
        assertEquals(KIND_INVALID, f.kind(0L, 0));
    }

    @Test
    void blockLevelsOf16kAnd64k() {
        VmsaStage1Format f16 = new VmsaStage1Format(VmsaGeometry.stage1(VmsaGranule.GRANULE_16K, 16), 48, false, false);
        assertEquals(KIND_LEAF, f16.kind(0x0000_0000_0200_0401L, 1));     // 32 MiB
        assertEquals(KIND_INVALID, f16.kind(0x0000_0010_0000_0401L, 2));  // 64 GiB needs LPA2
        assertEquals(0x0200_0000L, f16.leafAddress(0x0000_0000_0300_0401L | 1L << 24, 1) & ~((1L << 25) - 1));
        VmsaStage1Format f64 = new VmsaStage1Format(VmsaGeometry.stage1(VmsaGranule.GRANULE_64K, 16), 48, false, false);
        assertEquals(KIND_LEAF, f64.kind(0x0000_0000_2000_0401L, 1));     // 512 MiB
        assertEquals(KIND_INVALID, f64.kind(0x0000_0400_0000_0401L, 2));  // 4 TiB needs 52-bit PA
        assertEquals("vmsav8-s1-64k", f64.name());
        assertEquals(16, f64.granuleShift());
    }

    @Test
    void addresses() {
        // table: bits 47:12; attribute bits above 47 and below 12 are not part of it
        assertEquals(0x1234_5000L, f.tableAddress(0x7800_0000_1234_5003L, 3));
        assertEquals(0x8000_0000_0000L, f.tableAddress(0x0000_8000_0000_0003L, 2));
        // page: bits 47:12, with XN, DBM and AF bits around it
        assertEquals(0x0000_ABCD_E000_5000L, f.leafAddress(0x0068_ABCD_E000_5403L, 0));
        // 2 MiB block: bits 47:21 (20:12 are RES0 in a block and ignored)
        assertEquals(0x0020_0000L, f.leafAddress(0x0000_0000_003F_F401L, 1));
        // 1 GiB block: bits 47:30
        assertEquals(0x0000_0040_4000_0000L, f.leafAddress(0x0000_0040_7FFF_F401L, 2));
    }

    @Test
    void leafAccessPermissions() {
        // AF set, AP[2:1] = 00: privileged read/write, no EL0 access; executable at both levels
        assertEquals("rwxXP-", perms(f.permissions(0x0000_0000_0000_5403L, 0)));
        // AP = 01: read/write at EL0 too; EL0-writable forces privileged execute-never
        assertEquals("rw-XPU", perms(f.permissions(0x0000_0000_0000_5443L, 0)));
        // AP = 10: privileged read-only
        assertEquals("r-xXP-", perms(f.permissions(0x0000_0000_0000_5483L, 0)));
        // AP = 11: read-only at both levels
        assertEquals("r-xXPU", perms(f.permissions(0x0000_0000_0000_54C3L, 0)));
        // PXN (53) and UXN (54)
        assertEquals("r--XPU", perms(f.permissions(0x0020_0000_0000_54C3L, 0)));
        assertEquals("r-x-PU", perms(f.permissions(0x0040_0000_0000_54C3L, 0)));
        assertEquals("rw--P-", perms(f.permissions(0x0060_0000_0020_0401L, 1)));
    }

    @Test
    void tableAttributesRestrictBelow() {
        assertEquals("rwxXPU", perms(f.permissions(0x0000_0000_1234_5003L, 3)));
        // APTable = 11 (bits 62:61): no EL0 access and no write below
        assertEquals("r-xXP-", perms(f.permissions(0x6000_0000_1234_5003L, 3)));
        assertEquals("rwxXP-", perms(f.permissions(0x2000_0000_1234_5003L, 2)));
        assertEquals("r-xXPU", perms(f.permissions(0x4000_0000_1234_5003L, 1)));
        // UXNTable (60), PXNTable (59)
        assertEquals("rwx-PU", perms(f.permissions(0x1000_0000_1234_5003L, 3)));
        assertEquals("rw-XPU", perms(f.permissions(0x0800_0000_1234_5003L, 3)));
        // the intersection along a walk: table with APTable[1], then an RW EL0 page
        int walk = f.permissions(0x4000_0000_1234_5003L, 1) & f.permissions(0x0000_0000_0000_5443L, 0);
        assertEquals("r--XPU", perms(walk));
        // CD.HAD: table attributes ignored
        VmsaStage1Format had = new VmsaStage1Format(G4K, 48, false, true);
        assertEquals(Permission.ALL, had.permissions(0x7800_0000_1234_5003L, 3));
    }

    @Test
    void accessFlag() {
        assertFalse(f.accessed(0x0000_0000_0000_5003L));
        assertTrue(f.accessed(0x0000_0000_0000_5403L));
        assertEquals(0x0000_0000_0000_5403L, f.withAccessed(0x0000_0000_0000_5003L));
    }

    @Test
    void dirtyStateUnderHttu() {
        VmsaStage1Format hd = new VmsaStage1Format(G4K, 48, true, false);
        long clean = 0x0008_0000_0000_54C3L;       // DBM, AP = 11: writable-clean
        assertEquals("r-xXPU", perms(f.permissions(clean, 0)));
        // under HD the DBM leaf is writable (and, being EL0-writable, privileged execute-never)
        assertEquals("rw-XPU", perms(hd.permissions(clean, 0)));
        assertFalse(hd.dirty(clean));
        long dirty = hd.withDirty(clean);
        assertEquals(0x0008_0000_0000_5443L, dirty);  // AP[2] cleared
        assertTrue(hd.dirty(dirty));
        // without DBM a read-only page stays read-only and is never marked
        assertEquals(0x0000_0000_0000_54C3L, hd.withDirty(0x0000_0000_0000_54C3L));
        assertFalse(hd.dirty(0x0000_0000_0000_5403L));
        // without CD.HD, DBM is ignored
        assertFalse(f.dirty(0x0008_0000_0000_5443L));
        assertEquals(clean, f.withDirty(clean));
        // encode under HD: writable leaves start writable-clean
        long enc = hd.encodeLeaf(0x5000, 0, Permission.READ | Permission.WRITE);
        assertEquals(0x0008_0000_0000_5000L | 0x403 | 0x300 | 0x80 | 0x0060_0000_0000_0000L, enc);
        assertFalse(hd.dirty(enc));
    }

    @Test
    void encodeByHand() {
        // page, AF, inner-shareable, AP = 00, executable everywhere
        assertEquals(0x0000_0000_0000_5703L, f.encodeLeaf(0x5000, 0, Permission.ALL & ~Permission.USER));
        // 2 MiB block, AP = 11, PXN | UXN
        assertEquals(0x0060_0000_0020_07C1L, f.encodeLeaf(0x20_0000, 1, Permission.READ | Permission.USER));
        assertEquals(0x0000_0000_1234_5003L, f.encodeTable(0x1234_5000L, 2));
        assertThrows(IllegalArgumentException.class, () -> f.encodeLeaf(0, 3, Permission.ALL));
    }

    @Test
    void outputBitsValidated() {
        assertThrows(IllegalArgumentException.class, () -> new VmsaStage1Format(G4K, 52, false, false));
        assertEquals(40, new VmsaStage1Format(G4K, 40, false, false).outputAddressBits());
    }
}
