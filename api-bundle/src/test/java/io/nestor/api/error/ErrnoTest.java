package io.nestor.api.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ErrnoTest {

    @Test
    void numbersAreLinuxAsmGenericValues() {
        // include/uapi/asm-generic/errno-base.h and errno.h, as a VMM compares them.
        assertEquals(1, Errno.EPERM.number());
        assertEquals(2, Errno.ENOENT.number());
        assertEquals(7, Errno.E2BIG.number());
        assertEquals(9, Errno.EBADF.number());
        assertEquals(14, Errno.EFAULT.number());
        assertEquals(16, Errno.EBUSY.number());
        assertEquals(22, Errno.EINVAL.number());
        assertEquals(29, Errno.ESPIPE.number());
        assertEquals(25, Errno.ENOTTY.number());
        assertEquals(28, Errno.ENOSPC.number());
        assertEquals(75, Errno.EOVERFLOW.number());
        assertEquals(90, Errno.EMSGSIZE.number());
        assertEquals(95, Errno.EOPNOTSUPP.number());
        assertEquals(98, Errno.EADDRINUSE.number());
    }

    @Test
    void numbersAreUniqueAndLookUpBack() {
        Set<Integer> seen = new HashSet<>();
        for (Errno e : Errno.values()) {
            assertTrue(seen.add(e.number()), "duplicate number " + e.number());
            assertEquals(e, Errno.ofNumber(e.number()));
        }
        assertNull(Errno.ofNumber(0));
    }

    @Test
    void exceptionCarriesErrnoMessageAndOutValues() {
        IommuException e = IommuException.of(Errno.EINVAL, "addr 0x%x is not 4 KiB aligned", 0x1001);
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL: addr 0x1001 is not 4 KiB aligned", e.getMessage());
        assertEquals("addr 0x1001 is not 4 KiB aligned", e.rawMessage());
        IommuException withCount = e.withOutValue("entry_num", 3);
        assertEquals(Map.of("entry_num", 3L), withCount.outValues());
        assertEquals(e.getMessage(), withCount.getMessage());
        assertTrue(e.outValues().isEmpty(), "the original is unchanged");
    }
}
