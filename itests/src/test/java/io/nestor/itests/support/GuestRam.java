package io.nestor.itests.support;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A guest's RAM as its VMM sees it: one memory region of a session, mapped in the session's IOAS at
 * IOVA {@code gpaBase}, so that guest physical address = IOVA of the IOAS (stage-2 input). The guest
 * writes its structures (page tables, CD tables) here through {@code Memory.Write}, little-endian as
 * the hardware reads them.
 */
public final class GuestRam {
    private final VmmSession session;
    private final long userVa;
    private final long gpaBase;
    private final long size;
    private final long hostPhysicalBase;

    public GuestRam(VmmSession session, long userVa, long gpaBase, long size, long hostPhysicalBase) {
        this.session = session;
        this.userVa = userVa;
        this.gpaBase = gpaBase;
        this.size = size;
        this.hostPhysicalBase = hostPhysicalBase;
    }

    public long gpaBase() {
        return gpaBase;
    }

    /** The host physical address that backs guest physical {@code gpa}. */
    public long hostPhysical(long gpa) {
        return hostPhysicalBase + offset(gpa, 1);
    }

    /** The session virtual address of guest physical {@code gpa}. */
    public long userVa(long gpa) {
        return userVa + offset(gpa, 1);
    }

    private long offset(long gpa, int length) {
        long off = gpa - gpaBase;
        if (off < 0 || off + length > size) {
            throw new IllegalArgumentException("GPA 0x" + Long.toHexString(gpa) + " is outside guest RAM");
        }
        return off;
    }

    public void write64(long gpa, long value) {
        offset(gpa, 8);
        session.write(userVa(gpa), ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
    }

    public long read64(long gpa) {
        offset(gpa, 8);
        return ByteBuffer.wrap(session.read(userVa(gpa), 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    public void write(long gpa, byte[] data) {
        offset(gpa, data.length);
        session.write(userVa(gpa), data);
    }

    public byte[] read(long gpa, int length) {
        offset(gpa, length);
        return session.read(userVa(gpa), length);
    }
}
