package io.nestor.core.shell;

import io.nestor.api.error.IommuException;
import io.nestor.api.session.Session;
import io.nestor.core.service.SessionManager;
import io.nestor.core.service.SessionObject;
import java.util.ArrayList;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The operator's view of client sessions in the Gogo shell: {@code nestor:sessions} and the iommufd
 * objects of each, {@code nestor:objects}. Read-only; a session closing while it is listed is left
 * out rather than failing the listing.
 */
@Component(service = SessionCommands.class, property = {
        "osgi.command.scope=nestor",
        "osgi.command.function=sessions",
        "osgi.command.function=objects"})
public final class SessionCommands {
    private final SessionManager sessions;

    @Activate
    public SessionCommands(@Reference SessionManager sessions) {
        this.sessions = sessions;
    }

    @Descriptor("list the open client sessions with their regions and iommufd contexts")
    public List<SessionRow> sessions() {
        List<SessionRow> rows = new ArrayList<>();
        for (Session s : sessions.sessions()) {
            try {
                rows.add(new SessionRow(s, s.memory().list(), s.iommufd().contexts()));
            } catch (IommuException closedMeanwhile) {
                // closed between the listing and the read
            }
        }
        return rows;
    }

    @Descriptor("list the iommufd objects (IOAS, HWPT, DEVICE, FAULT, VIOMMU, VDEVICE, VEVENTQ) of the open "
            + "sessions, with their users")
    public List<ObjectRow> objects(
            @Descriptor("only the sessions whose id starts with this (as nestor:sessions shows it); all when omitted")
            @Parameter(names = {"-s", "--session"}, absentValue = "") String session) {
        List<ObjectRow> rows = new ArrayList<>();
        for (SessionObject o : sessions.objects(session)) {
            rows.add(new ObjectRow(o));
        }
        return rows;
    }
}
