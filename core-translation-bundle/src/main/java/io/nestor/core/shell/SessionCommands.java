package io.nestor.core.shell;

import io.nestor.api.error.IommuException;
import io.nestor.api.session.Session;
import io.nestor.api.session.SessionService;
import java.util.ArrayList;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The operator's view of client sessions in the Gogo shell: {@code nestor:sessions}. Read-only;
 * a session closing while it is listed is left out rather than failing the listing.
 */
@Component(service = SessionCommands.class, property = {
        "osgi.command.scope=nestor",
        "osgi.command.function=sessions"})
public final class SessionCommands {
    private final SessionService sessions;

    @Activate
    public SessionCommands(@Reference SessionService sessions) {
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
}
