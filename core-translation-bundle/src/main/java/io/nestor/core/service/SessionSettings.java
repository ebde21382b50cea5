package io.nestor.core.service;

import io.nestor.api.session.SessionQuotas;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The session service's settings, checked.
 *
 * @param defaultLeaseMillis the lease granted when a client asks for 0
 * @param maxLeaseMillis the longest lease granted; longer requests are cut to it
 * @param quotas every session's quotas
 * @param maxSessions how many sessions may be open at once
 * @param regionDirectory where file-backed regions' files are created
 */
public record SessionSettings(long defaultLeaseMillis, long maxLeaseMillis, SessionQuotas quotas, int maxSessions,
        Path regionDirectory) {

    public static final String PID = "io.nestor.sessions";
    public static final long DEFAULT_LEASE_MILLIS = 30_000;
    public static final long MAX_LEASE_MILLIS = 600_000;
    public static final long DEFAULT_MEMORY_QUOTA = 64L << 30;
    public static final int DEFAULT_OBJECT_QUOTA = 4096;
    public static final int DEFAULT_STREAM_BUFFER = 1024;
    /** The vSVA series' {@code VFIO_DEFAULT_PASID_QUOTA}. */
    public static final int DEFAULT_PASID_QUOTA = 1000;
    public static final int DEFAULT_MAX_SESSIONS = 256;

    public SessionSettings {
        Objects.requireNonNull(quotas, "quotas");
        Objects.requireNonNull(regionDirectory, "regionDirectory");
        if (defaultLeaseMillis <= 0 || maxLeaseMillis < defaultLeaseMillis) {
            throw new IllegalArgumentException("leases: default " + defaultLeaseMillis + " ms must be positive and"
                    + " not above the maximum " + maxLeaseMillis + " ms");
        }
        if (maxSessions <= 0) {
            throw new IllegalArgumentException("sessions.max " + maxSessions + " is not positive");
        }
    }

    /** The defaults, with file-backed regions under {@code regionDirectory}. */
    public static SessionSettings defaults(Path regionDirectory) {
        return new SessionSettings(DEFAULT_LEASE_MILLIS, MAX_LEASE_MILLIS,
                new SessionQuotas(DEFAULT_MEMORY_QUOTA, DEFAULT_OBJECT_QUOTA, DEFAULT_STREAM_BUFFER, DEFAULT_PASID_QUOTA),
                DEFAULT_MAX_SESSIONS, regionDirectory);
    }

    static SessionSettings of(SessionConfig c) {
        String dir = c.regions_dir().trim();
        Path directory = dir.isEmpty() ? Path.of(System.getProperty("java.io.tmpdir"), "nestor-regions") : Path.of(dir);
        return new SessionSettings(c.lease_default_ms(), c.lease_max_ms(),
                new SessionQuotas(c.quota_memory_bytes(), c.quota_objects(), c.quota_stream_buffer(), c.quota_pasids()),
                c.sessions_max(), directory.toAbsolutePath());
    }

    public SessionSettings withDefaultLease(long millis) {
        return new SessionSettings(millis, Math.max(millis, maxLeaseMillis), quotas, maxSessions, regionDirectory);
    }

    public SessionSettings withQuotas(SessionQuotas q) {
        return new SessionSettings(defaultLeaseMillis, maxLeaseMillis, q, maxSessions, regionDirectory);
    }
}
