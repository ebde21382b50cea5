package io.nestor.core.shell;

import io.nestor.core.service.SessionObject;

/** One iommufd object of a session, as {@code nestor:objects} prints it. */
public final class ObjectRow {
    private final SessionObject object;

    ObjectRow(SessionObject object) {
        this.object = object;
    }

    public SessionObject object() {
        return object;
    }

    @Override
    public String toString() {
        // Only a prefix of the session id: the full id is the client's secret.
        return String.format("%-8s iommufd %-3d %-4d %-12s users %-2d %s",
                object.session().substring(0, Math.min(8, object.session().length())), object.iommufd(),
                object.id(), object.type(), object.users(), object.detail());
    }
}
