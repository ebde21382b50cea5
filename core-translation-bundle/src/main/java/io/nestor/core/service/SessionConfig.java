package io.nestor.core.service;

/**
 * The Config Admin properties of the session service (PID {@value SessionSettings#PID}), as a
 * Declarative Services component property type: {@code lease.default.ms}, {@code lease.max.ms},
 * {@code quota.memory.bytes}, {@code quota.objects}, {@code quota.stream.buffer}, {@code quota.pasids},
 * {@code sessions.max}, {@code regions.dir}.
 */
public @interface SessionConfig {
    long lease_default_ms() default SessionSettings.DEFAULT_LEASE_MILLIS;

    long lease_max_ms() default SessionSettings.MAX_LEASE_MILLIS;

    long quota_memory_bytes() default SessionSettings.DEFAULT_MEMORY_QUOTA;

    int quota_objects() default SessionSettings.DEFAULT_OBJECT_QUOTA;

    int quota_stream_buffer() default SessionSettings.DEFAULT_STREAM_BUFFER;

    int quota_pasids() default SessionSettings.DEFAULT_PASID_QUOTA;

    int sessions_max() default SessionSettings.DEFAULT_MAX_SESSIONS;

    /** Where file-backed regions are created; empty for {@code <java.io.tmpdir>/nestor-regions}. */
    String regions_dir() default "";
}
