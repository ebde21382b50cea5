package io.nestor.core.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.session.Session;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.service.SessionManager;
import io.nestor.core.service.SessionSettings;
import io.nestor.core.topology.TopologyFile;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionCommandsTest {
    @TempDir
    Path regionDir;

    @Test
    void listsOpenSessionsWithWhatTheyHoldAndAShortId() {
        DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(), new SparsePhysicalMemory(52));
        try (SessionManager manager = SessionManager.over(registry, SessionSettings.defaults(regionDir))) {
            Session a = manager.open("qemu-a", 0);
            a.memory().create(0x3000, "");
            a.iommufd().open();
            Session closed = manager.open("gone", 0);
            closed.close();

            List<SessionRow> rows = new SessionCommands(manager).sessions();
            assertEquals(1, rows.size());
            SessionRow row = rows.get(0);
            assertEquals(a.id().substring(0, 8), row.idPrefix());
            assertEquals(1, row.regions());
            assertEquals(1, row.contexts());
            assertTrue(row.toString().contains("qemu-a") && row.toString().contains("0x3000"), row.toString());
            assertTrue(!row.toString().contains(a.id()), "the full id is a secret");
        }
    }

    @Test
    void objectsListsEachContextsObjectsWithTheirUsers() {
        DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(), new SparsePhysicalMemory(52));
        try (SessionManager manager = SessionManager.over(registry, SessionSettings.defaults(regionDir))) {
            Session a = manager.open("qemu-a", 0);
            Session b = manager.open("qemu-b", 0);
            int fd = a.iommufd().open();
            int ioas = a.iommufd().ioasAlloc(fd, 0);
            b.iommufd().ioasAlloc(b.iommufd().open(), 0);

            SessionCommands commands = new SessionCommands(manager);
            List<ObjectRow> mine = commands.objects(a.id().substring(0, 8));
            assertEquals(1, mine.size());
            assertEquals(ioas, mine.get(0).object().id());
            assertEquals(io.nestor.core.iommufd.ObjectType.IOAS, mine.get(0).object().type());
            assertEquals(1, mine.get(0).object().users(), "only the table holds an idle IOAS");
            assertTrue(mine.get(0).toString().startsWith(a.id().substring(0, 8)), mine.get(0).toString());
            assertEquals(2, commands.objects("").size(), "every session's");
            assertEquals(List.of(), commands.objects("no-such-session"));
        }
    }
}
