package io.nestor.driver.smmuv3.hw.format;

import static io.nestor.api.pagetable.PageTableFormat.KIND_LEAF;
import static io.nestor.api.pagetable.PageTableFormat.KIND_TABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * encodeLeaf then decode, for every leaf level of every granule, every permission set and several
 * output addresses, in both stages and with / without HTTU dirty management and XNX. The expected
 * permissions are what each stage can express (see the format classes' Javadoc).
 */
class VmsaRoundTripTest {

    private static final long[] ADDRESS_PATTERNS = {0L, 0x0000_FFFF_FFFF_FFFFL, 0x0000_A5A5_5A5A_A5A5L, 0x0000_8000_0000_0000L};

    static Stream<Arguments> formats() {
        List<Arguments> out = new ArrayList<>();
        for (VmsaGranule granule : VmsaGranule.values()) {
            for (boolean flag : new boolean[] {false, true}) {
                for (boolean hd : new boolean[] {false, true}) {
                    out.add(Arguments.of(new VmsaStage1Format(VmsaGeometry.stage1(granule, 16), 48, hd, flag), 1, hd, flag));
                    out.add(Arguments.of(new VmsaStage2Format(VmsaGeometry.stage2(granule, 16, 2), 48, hd, flag), 2, hd, flag));
                }
            }
        }
        return out.stream();
    }

    /** What stage 1 grants for a requested set: always READ and PRIV; EL0-writable implies PXN. */
    static int stage1Expected(int p) {
        int e = p | Permission.READ | Permission.PRIV;
        if ((e & Permission.USER) != 0 && (e & Permission.WRITE) != 0) {
            e &= ~Permission.EXEC_PRIV;
        }
        return e;
    }

    /** What stage 2 grants: PRIV and USER always; without XNX execution is all or nothing. */
    static int stage2Expected(int p, boolean xnx) {
        int e = p | Permission.PRIV | Permission.USER;
        int exec = Permission.EXEC_PRIV | Permission.EXEC_USER;
        if (!xnx && (e & exec) != exec) {
            e &= ~exec;
        }
        return e;
    }

    @ParameterizedTest(name = "{0} stage {1} hd={2} flag={3}")
    @MethodSource("formats")
    void leavesRoundTrip(PageTableFormat f, int stage, boolean hd, boolean flag) {
        int leaves = 0;
        for (int level = 0; level < f.levels(); level++) {
            if (!f.leafAllowed(level)) {
                int l = level;
                assertThrows(IllegalArgumentException.class, () -> f.encodeLeaf(0, l, Permission.ALL));
                continue;
            }
            leaves++;
            long alignMask = -(1L << f.levelShift(level));
            for (long pattern : ADDRESS_PATTERNS) {
                long address = pattern & alignMask;
                for (int p = 0; p <= Permission.ALL; p++) {
                    long d = f.encodeLeaf(address, level, p);
                    String ctx = f.name() + " level " + level + " " + Permission.toString(p) + " " + Long.toHexString(d);
                    assertEquals(KIND_LEAF, f.kind(d, level), ctx);
                    assertEquals(address, f.leafAddress(d, level), ctx);
                    int expected = stage == 1 ? stage1Expected(p) : stage2Expected(p, flag);
                    assertEquals(Permission.toString(expected), Permission.toString(f.permissions(d, level)), ctx);
                    assertTrue(f.accessed(d), ctx);
                    assertFalse(f.dirty(d), ctx);
                    long marked = f.withDirty(d);
                    boolean writable = (p & Permission.WRITE) != 0;
                    assertEquals(hd && writable, f.dirty(marked), ctx);
                    // marking dirty never changes the permissions or the address
                    assertEquals(f.permissions(d, level), f.permissions(marked, level), ctx);
                    assertEquals(address, f.leafAddress(marked, level), ctx);
                }
            }
        }
        // 4 KiB: 4K, 2M, 1G; 16 KiB: 16K, 32M; 64 KiB: 64K, 512M
        assertEquals(f.granuleShift() == 12 ? 3 : 2, leaves);
    }

    @ParameterizedTest(name = "{0} stage {1} hd={2} flag={3}")
    @MethodSource("formats")
    void tablesRoundTrip(PageTableFormat f, int stage, boolean hd, boolean flag) {
        for (int level = 1; level < f.levels(); level++) {
            for (long pattern : ADDRESS_PATTERNS) {
                long address = pattern & -(1L << f.granuleShift());
                long d = f.encodeTable(address, level);
                assertEquals(KIND_TABLE, f.kind(d, level));
                assertEquals(address, f.tableAddress(d, level));
                assertEquals(Permission.ALL, f.permissions(d, level));
            }
        }
    }
}
