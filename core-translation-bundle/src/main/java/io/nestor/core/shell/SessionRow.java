package io.nestor.core.shell;

import io.nestor.api.session.MemoryRegionInfo;
import io.nestor.api.session.Session;
import java.util.List;

/**
 * One client session as the shell prints it. Only the first 8 hex digits of the id are shown: the
 * id is the client's bearer secret, and 8 digits tell sessions apart on a screen.
 */
public final class SessionRow {
    private final String idPrefix;
    private final String client;
    private final long leaseMillis;
    private final int regions;
    private final long regionBytes;
    private final int contexts;

    SessionRow(Session session, List<MemoryRegionInfo> regionList, List<Integer> contextList) {
        this.idPrefix = session.id().substring(0, Math.min(8, session.id().length()));
        this.client = session.clientName();
        this.leaseMillis = session.leaseMillis();
        this.regions = regionList.size();
        this.regionBytes = regionList.stream().mapToLong(MemoryRegionInfo::size).sum();
        this.contexts = contextList.size();
    }

    public String idPrefix() {
        return idPrefix;
    }

    public String client() {
        return client;
    }

    public int regions() {
        return regions;
    }

    public int contexts() {
        return contexts;
    }

    @Override
    public String toString() {
        return String.format("%s…  %-20s lease %d ms  %d regions (0x%x bytes)  %d iommufd", idPrefix, client,
                leaseMillis, regions, regionBytes, contexts);
    }
}
