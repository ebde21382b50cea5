package io.nestor.api.translation;

import static io.nestor.api.pagetable.Permission.EXEC_PRIV;
import static io.nestor.api.pagetable.Permission.EXEC_USER;
import static io.nestor.api.pagetable.Permission.PRIV;
import static io.nestor.api.pagetable.Permission.READ;
import static io.nestor.api.pagetable.Permission.USER;
import static io.nestor.api.pagetable.Permission.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.pagetable.Permission;
import org.junit.jupiter.api.Test;

class AccessTest {

    @Test
    void requiredPermissionsSplitByPrivilege() {
        assertEquals(READ | USER, Access.requiredPermissions(Access.READ));
        assertEquals(READ | WRITE | PRIV, Access.requiredPermissions(Access.READ | Access.WRITE | Access.PRIV));
        assertEquals(READ | EXEC_USER | USER, Access.requiredPermissions(Access.READ | Access.EXEC));
        assertEquals(READ | EXEC_PRIV | PRIV, Access.requiredPermissions(Access.READ | Access.EXEC | Access.PRIV));
    }

    @Test
    void aReadOnlyUserPageDeniesWritesAndPrivilegedAccess() {
        int granted = READ | USER | EXEC_USER;
        int write = Access.requiredPermissions(Access.WRITE);
        int privRead = Access.requiredPermissions(Access.READ | Access.PRIV);
        assertEquals(WRITE, write & ~granted);
        assertEquals(PRIV, privRead & ~granted);
        assertEquals(0, Access.requiredPermissions(Access.READ | Access.EXEC) & ~granted);
        assertEquals("r-xXPU", Permission.toString(Permission.ALL & ~WRITE));
    }

    @Test
    void configModesNeedExactlyTheirStages() {
        assertThrows(IllegalArgumentException.class,
                () -> new TranslationConfig(TranslationMode.NESTED, null, null, 1, 1));
        assertEquals(TranslationMode.BYPASS, TranslationConfig.bypass(3).mode());
        assertEquals(TranslationMode.ABORT, TranslationConfig.abort().mode());
    }

    @Test
    void translationPageBaseMasksTheOffset() {
        Translation t = new Translation(0x1234_5678L, 21, READ);
        assertEquals(0x1220_0000L, t.pageBase());
    }
}
